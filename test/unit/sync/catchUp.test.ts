/**
 * A catch-up through messages.range (SyncLayer.fillFrom): the next page is asked for while the
 * previous one is being stored, never more than one page ahead, and pages are stored in order.
 */
import { describe, expect, it, vi } from 'vitest';
import { encodeFrame, type Message } from '../../../schema';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../../worker/store/LocalStore';
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
  const stores: { first: number; release: () => void }[] = [];
  const storeMessages = store.storeMessages.bind(store);
  store.storeMessages = (conversationId, messages) =>
    new Promise<void>((release) => stores.push({ first: messages[0]!.seq, release })).then(() => storeMessages(conversationId, messages));
  const { messaging } = await onlineSyncEngine(fake, store);
  const ranges = () => sentFrames(fake.socket).filter((f) => f.t === 'req' && f.type === 'messages.range') as { id: string; params: { afterSeq: number } }[];
  const answer = (id: string, from: number, count: number, hasMore: boolean) =>
    fake.socket.serverSend(encodeFrame({ t: 'res', id, ok: true, result: { messages: Array.from({ length: count }, (_, i) => msg(from + i)), hasMore } }));
  return { store, messaging, stores, ranges, answer };
}

describe('catch-up (fillFrom)', () => {
  it('asks for the next page while the previous one is stored, one page ahead at most, storing pages in order', async () => {
    const h = await setup();
    const afterSeqs = () => h.ranges().map((r) => r.params.afterSeq);
    const stored = () => h.stores.map((s) => s.first);
    const done = h.messaging.refresh(C);
    await vi.waitFor(() => expect(afterSeqs()).toEqual([1]));

    h.answer(h.ranges()[0]!.id, 2, 200, true);
    // Page 1 is being stored, and page 2 is already asked for.
    await vi.waitFor(() => expect(afterSeqs()).toEqual([1, 201]));
    expect(stored()).toEqual([2]);

    h.answer(h.ranges()[1]!.id, 202, 200, true);
    await flush();
    // Page 2 arrived, but page 1 is not stored yet: page 2 waits, and nothing more is asked.
    expect(stored()).toEqual([2]);
    expect(afterSeqs()).toEqual([1, 201]);

    h.stores[0]!.release();
    await vi.waitFor(() => expect(afterSeqs()).toEqual([1, 201, 401]));
    expect(stored()).toEqual([2, 202]);

    h.answer(h.ranges()[2]!.id, 402, 10, false);
    h.stores[1]!.release();
    await vi.waitFor(() => expect(stored()).toEqual([2, 202, 402]));
    h.stores[2]!.release();
    await done;
    expect(await h.store.contiguousSeq(C)).toBe(411);
  });
});
