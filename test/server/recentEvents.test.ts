/** The in-memory ring of recent events: what it answers for, and when it sends a reader to the database. */
import { describe, expect, it } from 'vitest';
import type { PushEvent } from '../../schema';
import { RecentEvents } from '../../server/fanout/RecentEvents';

const receipt = (n: number): PushEvent => ({ kind: 'receipt', conversationId: 'c', userId: `u${n}`, receipt: 'read', upToSeq: n });

describe('RecentEvents', () => {
  it('answers nothing before its first event: a reader goes to the database', () => {
    expect(new RecentEvents(8).after('alice', 0, 10)).toBeNull();
  });

  it("gives a user only the events they were a recipient of, after the cursor, in order", () => {
    const r = new RecentEvents(8);
    r.append(11, ['alice', 'bob'], receipt(1));
    r.append(12, ['bob'], receipt(2));
    r.append(14, ['alice'], receipt(3), { userId: 'alice', deviceId: 'd1' });
    expect(r.after('alice', 10, 10)).toEqual({
      events: [
        { cursor: 11, event: receipt(1) },
        { cursor: 14, event: receipt(3), origin: { userId: 'alice', deviceId: 'd1' } },
      ],
      hasMore: false,
    });
    expect(r.after('alice', 11, 10)!.events.map((e) => e.cursor)).toEqual([14]);
    expect(r.after('carol', 10, 10)).toEqual({ events: [], hasMore: false });
  });

  it('returns at most limit events and says when there are more', () => {
    const r = new RecentEvents(8);
    for (let c = 1; c <= 5; c++) r.append(c, ['alice'], receipt(c));
    expect(r.after('alice', 0, 2)).toEqual({ events: [1, 2].map((c) => ({ cursor: c, event: receipt(c) })), hasMore: true });
    expect(r.after('alice', 3, 2)).toEqual({ events: [4, 5].map((c) => ({ cursor: c, event: receipt(c) })), hasMore: false });
  });

  it('covers only cursors from the one before its first event, then from the newest it dropped', () => {
    const r = new RecentEvents(3);
    r.append(100, ['alice'], receipt(100));
    expect(r.after('alice', 98, 10)).toBeNull(); // 99 may be an event from before: not held
    expect(r.after('alice', 99, 10)!.events.map((e) => e.cursor)).toEqual([100]);
    for (let c = 101; c <= 110; c++) r.append(c, ['alice'], receipt(c));
    expect(r.after('alice', 106, 10)).toBeNull(); // 107 was dropped
    expect(r.after('alice', 107, 10)!.events.map((e) => e.cursor)).toEqual([108, 109, 110]);
    expect(r.after('alice', 110, 10)).toEqual({ events: [], hasMore: false });
  });

  it('keeps answering correctly across many drops (its storage is compacted in bulk)', () => {
    const r = new RecentEvents(4);
    for (let c = 1; c <= 1000; c++) {
      r.append(c, c % 2 === 0 ? ['alice'] : ['bob'], receipt(c));
      if (c >= 4) expect(r.after('alice', c - 4, 10)!.events.map((e) => e.cursor)).toEqual([c - 3, c - 2, c - 1, c].filter((x) => x % 2 === 0));
    }
  });

  it('after clear() sends readers to the database until the next event, which starts a new floor', () => {
    const r = new RecentEvents(8);
    r.append(1, ['alice'], receipt(1));
    r.clear();
    expect(r.after('alice', 0, 10)).toBeNull();
    r.append(3, ['alice'], receipt(3));
    expect(r.after('alice', 1, 10)).toBeNull(); // cursor 2 (the one that failed) is not held
    expect(r.after('alice', 2, 10)!.events.map((e) => e.cursor)).toEqual([3]);
  });

  it('refuses events out of cursor order', () => {
    const r = new RecentEvents(8);
    r.append(5, ['alice'], receipt(5));
    expect(() => r.append(5, ['alice'], receipt(5))).toThrow(RangeError);
    expect(() => r.append(4, ['alice'], receipt(4))).toThrow(RangeError);
  });
});
