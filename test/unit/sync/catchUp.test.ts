/**
 * A catch-up through messages.range (SyncLayer.fillFrom): the next pages are asked for while the
 * previous ones are being stored, the pages that came meanwhile are stored together in order, and
 * no more than MAX_PAGES_AHEAD pages wait unstored.
 */
import { describe, expect, it, vi } from 'vitest';
import { encodeFrame, type Message } from '../../../schema';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../../worker/store/LocalStore';
import { MAX_PAGES_AHEAD } from '../../../worker/sync/CatchUpWriter';
import { onlineSyncEngine } from '../../support/onlineSyncEngine';
import { fakePlatform } from '../../support/fakePlatform';
import { flush, sentFrames } from '../connection/harness';

const C = 'c1';
const msg = (seq: number): Message => ({
  id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
  conversationId: C,
  seq,
  senderId: 'bob',
  content: { type: 'text', text: `m${seq}` },
  serverTs: 1_700_000_000_000 + seq,
});

async function setup() {
  const fake = fakePlatform();
  const store = await LocalStore.open(new BetterSqliteDriver(':memory:'), { userId: 'alice', now: fake.platform.clock.now });
  await store.storeMessages(C, [msg(1)]);
  // Each page store waits for the test's go-ahead, so what happens meanwhile can be seen.
  const stores: { first: number; count: number; release: () => void }[] = [];
  const storeMessages = store.storeMessages.bind(store);
  store.storeMessages = (conversationId, messages) =>
    new Promise<void>((release) => stores.push({ first: messages[0]!.seq, count: messages.length, release })).then(() => storeMessages(conversationId, messages));
  const { messaging } = await onlineSyncEngine(fake, store);
  const ranges = () => sentFrames(fake.socket).filter((f) => f.t === 'req' && f.type === 'messages.range') as { id: string; params: { afterSeq: number } }[];
  const answer = (id: string, from: number, count: number, hasMore: boolean) =>
    fake.socket.serverSend(encodeFrame({ t: 'res', id, ok: true, result: { messages: Array.from({ length: count }, (_, i) => msg(from + i)), hasMore } }));
  return { store, messaging, stores, ranges, answer };
}

describe('catch-up (fillFrom)', () => {
  it('asks for the next pages while one is stored, and stores the pages that came meanwhile together, in order', async () => {
    const h = await setup();
    const afterSeqs = () => h.ranges().map((r) => r.params.afterSeq);
    const stored = () => h.stores.map((s) => [s.first, s.count]);
    const done = h.messaging.refresh(C);
    await vi.waitFor(() => expect(afterSeqs()).toEqual([1]));

    h.answer(h.ranges()[0]!.id, 2, 200, true);
    // Page 1 is being stored, and page 2 is already asked for.
    await vi.waitFor(() => expect(afterSeqs()).toEqual([1, 201]));
    expect(stored()).toEqual([[2, 200]]);

    h.answer(h.ranges()[1]!.id, 202, 200, true);
    await vi.waitFor(() => expect(afterSeqs()).toEqual([1, 201, 401]));
    h.answer(h.ranges()[2]!.id, 402, 200, true);
    await vi.waitFor(() => expect(afterSeqs()).toEqual([1, 201, 401, 601]));
    // Pages 2 and 3 came while page 1 is stored: they wait for it.
    expect(stored()).toEqual([[2, 200]]);

    h.stores[0]!.release();
    // Both go in the next store, in order.
    await vi.waitFor(() => expect(stored()).toEqual([[2, 200], [202, 400]]));

    h.answer(h.ranges()[3]!.id, 602, 10, false);
    h.stores[1]!.release();
    await vi.waitFor(() => expect(stored()).toEqual([[2, 200], [202, 400], [602, 10]]));
    h.stores[2]!.release();
    await done;
    expect(afterSeqs()).toEqual([1, 201, 401, 601]);
    expect(await h.store.contiguousSeq(C)).toBe(611);
  });

  it('stops asking while MAX_PAGES_AHEAD pages wait unstored, and goes on once the store takes them', async () => {
    const h = await setup();
    const done = h.messaging.refresh(C);
    const asked = MAX_PAGES_AHEAD + 1;
    for (let p = 0; p < asked; p++) {
      await vi.waitFor(() => expect(h.ranges()).toHaveLength(p + 1));
      h.answer(h.ranges()[p]!.id, 2 + p * 200, 200, true);
    }
    await flush();
    // Page 1 is being stored and the next MAX_PAGES_AHEAD wait: no more is asked for.
    expect(h.ranges()).toHaveLength(asked);
    expect(h.stores).toHaveLength(1);

    h.stores[0]!.release();
    await vi.waitFor(() => expect(h.ranges()).toHaveLength(asked + 1));
    expect(h.stores.map((s) => s.count)).toEqual([200, MAX_PAGES_AHEAD * 200]);
    h.answer(h.ranges()[asked]!.id, 2 + asked * 200, 0, false);
    h.stores[1]!.release();
    await done;
    expect(await h.store.contiguousSeq(C)).toBe(1 + asked * 200);
  });
});
