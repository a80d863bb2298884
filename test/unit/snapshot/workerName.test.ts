import { describe, expect, it } from 'vitest';
import { userOfWorkerName, workerNameOf } from '../../../worker/host/workerName';

describe('worker names', () => {
  it('carry the user, whatever it contains', () => {
    for (const user of ['alice', 'default', 'a:b@c', '']) expect(userOfWorkerName(workerNameOf('0.1.0-abc', user))).toBe(user);
  });

  it('name no user when they are not ours', () => {
    expect(userOfWorkerName(undefined)).toBeNull();
    expect(userOfWorkerName('')).toBeNull();
    expect(userOfWorkerName('other:alice')).toBeNull();
    expect(userOfWorkerName('parley@1')).toBeNull();
  });
});
