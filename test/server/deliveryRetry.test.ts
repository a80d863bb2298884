/** A socket's delivery when the database does not answer: the socket stays up and reads again later. */
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../server/auth/tokens';
import { serverMetrics } from '../../server/metrics';
import type { StoredEvent, Store } from '../../server/store/Store';
import { Delivery, type PushOut } from '../../server/ws/Delivery';

const alice: Identity = { userId: 'alice', role: 'customer', shopId: null, displayName: 'Alice' };
const receipt = (cursor: number): StoredEvent => ({ cursor, event: { kind: 'receipt', conversationId: 'c1', userId: 'bob', receipt: 'read', upToSeq: cursor } });

describe('Delivery, database down', () => {
  it('does not reject when a backlog read fails, and reads again at a tick after the retry delay', async () => {
    let now = 1_000;
    let down = true;
    const reads: number[] = [];
    const store = {
      eventsAfter: async (_user: Identity, cursor: number) => {
        reads.push(cursor);
        if (down) throw new Error('connection terminated unexpectedly');
        return { events: [receipt(cursor + 1), receipt(cursor + 2)], hasMore: false };
      },
      setDeviceCursor: async () => {},
    } as unknown as Store;
    const sent: PushOut[] = [];
    const delivery = new Delivery(
      { store, recent: null, identity: alice, deviceId: 'd1', send: (f) => sent.push(f), skipOwnSends: true, version: 5, metrics: serverMetrics(), now: () => now, window: 8, resendMs: 5_000, resendLimit: 3 },
      10,
    );
    delivery.start();
    await new Promise((r) => setImmediate(r));
    expect(reads).toEqual([10]);
    expect(sent).toEqual([]);
    // Too early: nothing read again.
    now += 100;
    expect(delivery.tick(now)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(reads).toEqual([10]);
    down = false;
    now += 500;
    expect(delivery.tick(now)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(reads).toEqual([10, 10]);
    expect(sent.map((f) => [f.cursor, f.prev])).toEqual([
      [11, 10],
      [12, 11],
    ]);
  });
});
