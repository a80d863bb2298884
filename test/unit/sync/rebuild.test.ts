/**
 * The sync layer told to rebuild (auth_ok's `rebuild`): it loads the head once the cursor is
 * stored, also when the server asked for a rollback first, without waiting for another connect.
 */
import { describe, expect, it, vi } from 'vitest';
import { encodeFrame, type HeadEntry } from '../../../schema';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../../worker/store/LocalStore';
import { fakePlatform } from '../../support/fakePlatform';
import { onlineSyncEngine } from '../../support/onlineSyncEngine';
import { sentFrames } from '../connection/harness';

const EPOCH = 'bbbbbbbbbbbbbbbb';
const entry: HeadEntry = {
  conversation: { id: 'c1', kind: 'direct', title: 'c1', shopId: 'shop', createdAt: 1, lastSeq: 1, lastActivityAt: 1, readSeq: 0, unread: 1, lastMessage: null },
  messages: [{ id: '00000000-0000-4000-8000-000000000001', conversationId: 'c1', seq: 1, senderId: 'bob', content: { type: 'text', text: 'hi' }, serverTs: 1 }],
  members: [],
};

async function setup(auth: Parameters<typeof onlineSyncEngine>[2]) {
  const fake = fakePlatform();
  const store = await LocalStore.open(new BetterSqliteDriver(':memory:'), { userId: 'alice', now: fake.platform.clock.now });
  await onlineSyncEngine(fake, store, auth);
  const requests = (type: string) => sentFrames(fake.socket).filter((f) => f.t === 'req' && f.type === type) as { id: string }[];
  const answer = (id: string, result: unknown) => fake.socket.serverSend(encodeFrame({ t: 'res', id, ok: true, result }));
  return { store, requests, answer };
}

describe('rebuild', () => {
  it('loads the head after storing the head cursor', async () => {
    const h = await setup({ epoch: EPOCH, rebuild: { cursor: 900, reason: 'new_device' } });
    await vi.waitFor(() => expect(h.requests('sync.head')).toHaveLength(1));
    expect(await h.store.resumePoint()).toEqual({ initialCursor: 900, initialEpoch: EPOCH });
    h.answer(h.requests('sync.head')[0]!.id, { conversations: [entry], hasMore: false });
    await vi.waitFor(async () => expect(await h.store.headPending()).toBe(false));
    expect((await h.store.latest('c1', 10)).map((m) => m.seq)).toEqual([1]);
  });

  it('after a rollback asked for at the same auth, still loads the head on this connection', async () => {
    const h = await setup({ epoch: EPOCH, resync: { cursor: 5 }, rebuild: { cursor: 900, reason: 'pruned' } });
    await vi.waitFor(() => expect(h.requests('conversations.seqsAt')).toHaveLength(1));
    expect(h.requests('sync.head')).toEqual([]);
    h.answer(h.requests('conversations.seqsAt')[0]!.id, { conversations: [], hasMore: false });
    await vi.waitFor(() => expect(h.requests('sync.head')).toHaveLength(1));
    h.answer(h.requests('sync.head')[0]!.id, { conversations: [entry], hasMore: false });
    await vi.waitFor(async () => expect(await h.store.headPending()).toBe(false));
    expect(await h.store.resumePoint()).toEqual({ initialCursor: 900, initialEpoch: EPOCH });
  });
});
