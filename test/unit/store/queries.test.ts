import { describe, expect, it } from 'vitest';
import type { Content } from '../../../schema';
import { BOB, C1, C2, enqueueText, info, ME, msg, openStore, sentCopy, T0, conversationPush, messagePush } from './harness';

const C3 = 'c_3';
const ids = (list: { id: string }[]) => list.map((c) => c.id);
const seqs = (ms: { seq: number | null }[]) => ms.map((m) => m.seq);

describe('LocalStore read path', () => {
  it('lists conversations by last activity, counting an unsent own message at its createdAt', async () => {
    const o = await openStore();
    await o.store.ingest([
      conversationPush(1, info(C1, { lastActivityAt: T0 + 1_000 })),
      conversationPush(2, info(C2, { lastActivityAt: T0 + 2_000 })),
      conversationPush(3, info(C3, { lastActivityAt: T0 + 3_000 })),
    ]);
    expect(ids(await o.store.conversationList(10, 0))).toEqual([C3, C2, C1]);

    // A message in C1 (server time) and one typed offline in C2 (local time, later still).
    await o.store.storeMessages(C1, [msg(5, { conversationId: C1 })]); // serverTs T0 + 5 000
    const typed = await enqueueText(o, 'typed offline', C2, T0 + 9_000);
    expect(ids(await o.store.conversationList(10, 0))).toEqual([C2, C1, C3]);
    expect(ids(await o.store.conversationList(2, 1))).toEqual([C1, C3]);

    // Deleting the unsent message takes its activity with it.
    await o.store.deletePending(typed.id);
    expect(ids(await o.store.conversationList(10, 0))).toEqual([C1, C3, C2]);
  });

  it('orders conversations with the same activity by id', async () => {
    const o = await openStore();
    await o.store.ingest([conversationPush(1, info(C2)), conversationPush(2, info(C1))]);
    expect(ids(await o.store.conversationList(10, 0))).toEqual([C1, C2]);
  });

  it('counts unread as others\' messages after the read position', async () => {
    const o = await openStore();
    await o.store.ingest([conversationPush(1, info(C1)), conversationPush(2, info(C2))]);
    await o.store.storeMessages(C1, [msg(1), msg(2), msg(3)]);
    await o.store.storeMessages(C2, [msg(1, { conversationId: C2, sender: ME })]);
    const pending = await enqueueText(o, 'not yet sent', C2);
    const list = await o.store.conversationList(10, 0);
    // C2 holds only my sent message and my pending one: nothing unread.
    expect(Object.fromEntries(list.map((c) => [c.id, c.unread]))).toEqual({ [C1]: 3, [C2]: 0 });
    await o.store.markRead(C1, 2);
    expect((await o.store.conversation(C1))?.unread).toBe(1);
    expect(pending.state).toBe('pending');
  });

  it('shows the newest message as lastMessage, an unsent one first', async () => {
    const o = await openStore();
    const m2 = msg(2);
    await o.store.storeMessages(C1, [msg(1), m2]);
    expect((await o.store.conversation(C1))?.lastMessage).toMatchObject({ id: m2.id, seq: 2 });
    const unsent = await enqueueText(o, 'unsent', C1, T0);
    expect((await o.store.conversation(C1))?.lastMessage).toMatchObject({ id: unsent.id, state: 'pending' });
    expect(await o.store.conversation('c_unknown')).toBeNull();
  });

  it('pages the latest messages: stored by seq, then unsent by createdAt', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, Array.from({ length: 10 }, (_, i) => msg(i + 1)));
    const later = await enqueueText(o, 'second typed', C1, T0 + 2);
    const earlier = await enqueueText(o, 'first typed', C1, T0 + 1);
    const page = await o.store.latest(C1, 5);
    expect(seqs(page)).toEqual([8, 9, 10, null, null]);
    expect(page.slice(3).map((m) => m.id)).toEqual([earlier.id, later.id]);
    expect(seqs(await o.store.latest(C1, 1))).toEqual([null]);
    expect(page[0]).toMatchObject({ conversationId: C1, state: 'received', senderId: BOB });

    // Sending one moves it into seq order, after everything stored before it.
    await o.store.markSent(earlier.id, sentCopy(earlier, 11));
    expect((await o.store.latest(C1, 3)).map((m) => m.id)).toEqual([expect.any(String), earlier.id, later.id]);
    expect(seqs(await o.store.latest(C1, 3))).toEqual([10, 11, null]);
  });

  it('pages older history before a seq, ascending', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, Array.from({ length: 10 }, (_, i) => msg(i + 1)));
    await o.store.storeMessages(C2, [msg(3, { conversationId: C2 })]);
    await enqueueText(o, 'unsent', C1);
    expect(seqs(await o.store.before(C1, 8, 3))).toEqual([5, 6, 7]);
    expect(seqs(await o.store.before(C1, 5, 10))).toEqual([1, 2, 3, 4]);
    expect(await o.store.before(C1, 1, 10)).toEqual([]);
    expect(await o.store.oldestSeq(C1)).toBe(1);
    expect(await o.store.oldestSeq('c_unknown')).toBeNull();
  });

  it('moves the local read position forward only, up to lastSeq', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1), msg(2), msg(3)]);
    expect(await o.store.markRead(C1, 2)).toBe(true);
    expect(await o.store.markRead(C1, 2)).toBe(false);
    expect(await o.store.markRead(C1, 1)).toBe(false);
    expect((await o.store.conversation(C1))?.readSeq).toBe(2);
    expect(await o.store.markRead(C1, 99)).toBe(true);
    expect((await o.store.conversation(C1))?.readSeq).toBe(3);
    expect(await o.store.markRead('c_unknown', 1)).toBe(false);
  });

  describe('search', () => {
    async function seeded() {
      const o = await openStore();
      const contents: Content[] = [
        { type: 'text', text: '你好，请问这件商品有现货吗' },
        { type: 'text', text: 'Hello, is this item IN STOCK?' },
        { type: 'product', productId: 'p1', title: 'Green Tea 绿茶 500g', price: { amount: '19.90', currency: 'CNY' } },
        { type: 'order', orderId: 'o1', status: 'paid', total: { amount: '39.80', currency: 'CNY' }, title: 'Order for green tea' },
        { type: 'image', url: 'https://cdn.example/stock.png', thumbUrl: 'https://cdn.example/stock-t.png', width: 10, height: 10 },
        { type: 'voice', url: 'https://cdn.example/stock.ogg', durationMs: 1000 },
        { type: 'text', text: '100% sure_thing "quoted" AND NOT' },
      ];
      const messages = contents.map((content, i) => msg(i + 1, { content }));
      await o.store.ingest(messages.map((m, i) => messagePush(i + 1, m)));
      return { o, messages };
    }
    const found = async (o: Awaited<ReturnType<typeof openStore>>, q: string) => seqs(await o.store.search(q, 10));

    it('finds Chinese text by a three-character substring', async () => {
      const { o } = await seeded();
      expect(await found(o, '有现货')).toEqual([1]);
      expect(await found(o, '没有货')).toEqual([]);
    });

    it('finds English text case-insensitively, and card titles', async () => {
      const { o } = await seeded();
      expect(await found(o, 'in stock')).toEqual([2]);
      expect(await found(o, 'green tea')).toEqual([4, 3]); // newest first
      expect(await found(o, '绿茶 5')).toEqual([3]);
    });

    it('folds case beyond ASCII through the index', async () => {
      const o = await openStore();
      await o.store.storeMessages(C1, [msg(1, { text: 'Un Café Crème, s’il vous plaît' })]);
      expect(seqs(await o.store.search('CAFÉ CRÈME', 10))).toEqual([1]);
    });

    it('does not index media urls', async () => {
      const { o } = await seeded();
      expect(await found(o, 'stock.png')).toEqual([]);
      expect(await found(o, 'cdn.example')).toEqual([]);
    });

    it('falls back to a scan for queries under three characters', async () => {
      const { o } = await seeded();
      expect(await found(o, '现货')).toEqual([1]);
      expect(await found(o, 'He')).toEqual([2]);
      expect(await found(o, '%')).toEqual([7]);
      expect(await found(o, '_')).toEqual([7]);
    });

    it('finds only the query itself, not its trigrams found apart', async () => {
      const o = await openStore();
      await o.store.storeMessages(C1, [msg(1, { text: '商品这 品这件' }), msg(2, { text: '这件商品这件好' })]);
      expect(seqs(await o.store.search('商品这件', 10))).toEqual([2]);
      // The index holds no positions: a fifth of the size, the text is checked instead.
      const [fts] = await o.driver.all<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'messages_fts'");
      expect(fts!.sql).toContain('detail = none');
    });

    it('treats quotes and FTS operators in the query as text', async () => {
      const { o } = await seeded();
      expect(await found(o, '"quoted" AND')).toEqual([7]);
      expect(await found(o, 'AND NOT')).toEqual([7]);
      expect(await found(o, '   ')).toEqual([]);
    });

    it('finds own unsent messages too, and limits the results', async () => {
      const { o } = await seeded();
      const unsent = await enqueueText(o, 'is the green tea fresh?', 'c_1', T0 + 100_000);
      const hits = await o.store.search('green tea', 2);
      expect(hits.map((m) => m.seq)).toEqual([null, 4]);
      expect(hits[0]).toMatchObject({ id: unsent.id, state: 'pending' });
    });
  });
});
