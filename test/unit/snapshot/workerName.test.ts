import { describe, expect, it } from 'vitest';
import { parseWorkerName, workerNameOf } from '../../../worker/host/workerName';

describe('worker names', () => {
  it('carry the user, whatever it contains, and whether the engine is encrypted', () => {
    for (const user of ['alice', 'default', 'a:b@c', '', 'x+encrypted:y']) {
      expect(parseWorkerName(workerNameOf('0.1.0-abc', user))).toEqual({ user, encrypted: false });
      expect(parseWorkerName(workerNameOf('0.1.0-abc', user, true))).toEqual({ user, encrypted: true });
    }
  });

  it('give an encrypted engine another worker than a plain one of the same user', () => {
    expect(workerNameOf('1', 'alice', true)).not.toBe(workerNameOf('1', 'alice'));
  });

  it('name no user when they are not ours', () => {
    expect(parseWorkerName(undefined)).toBeNull();
    expect(parseWorkerName('')).toBeNull();
    expect(parseWorkerName('other:alice')).toBeNull();
    expect(parseWorkerName('parley@1')).toBeNull();
  });
});
