import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingAcks } from '../../server/store/PendingAcks';

describe('PendingAcks', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps the highest ack per device and says it is due once, a second after the first ack', () => {
    const due = vi.fn();
    const acks = new PendingAcks(due);
    acks.set('u1', 'd1', 5);
    acks.set('u1', 'd1', 3); // lower: ignored
    vi.advanceTimersByTime(500);
    acks.set('u1', 'd1', 7);
    expect(acks.waiting('u1', 'd1')).toBe(7);
    expect(acks.waiting('u1', 'd2')).toBe(0);
    vi.advanceTimersByTime(499);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(due).toHaveBeenCalledTimes(1);
  });

  it('hands everything over in key order and starts afresh', () => {
    const due = vi.fn();
    const acks = new PendingAcks(due);
    acks.set('zed', 'd', 1);
    acks.set('amy', 'd2', 2);
    acks.set('amy', 'd1', 3);
    expect(acks.take()).toEqual([
      { userId: 'amy', deviceId: 'd1', cursor: 3 },
      { userId: 'amy', deviceId: 'd2', cursor: 2 },
      { userId: 'zed', deviceId: 'd', cursor: 1 },
    ]);
    expect(acks.waiting('amy', 'd1')).toBe(0);
    // Taken before its time: the timer went with it, and the next ack starts a new one.
    vi.advanceTimersByTime(5000);
    expect(due).not.toHaveBeenCalled();
    acks.set('amy', 'd1', 1); // lower than what was taken, but nothing waits: kept (the store never lowers its row)
    vi.advanceTimersByTime(1000);
    expect(due).toHaveBeenCalledTimes(1);
    expect(acks.take()).toEqual([{ userId: 'amy', deviceId: 'd1', cursor: 1 }]);
  });
});
