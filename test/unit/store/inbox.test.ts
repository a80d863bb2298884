import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../../schema';
import {
  BOB,
  C1,
  C2,
  CAROL,
  conversationPush,
  enqueueText,
  info,
  ME,
  messagePush,
  msg,
  openStore,
  receiptPush,
  sentCopy,
  SHOP,
  T0,
  tempFile,
  view,
} from './harness';

const seqs = (ms: { seq: number | null }[]) => ms.map((m) => m.seq);

describe('LocalStore receive path', () => {
  it('stores pushed messages, creates the conversation and reports what changed', async () => {
    const o = await openStore();
    const m1 = msg(1);
    const m2 = msg(2);
    const result = await o.store.ingest([messagePush(10, m1), messagePush(11, m2)]);
    expect(result).toEqual({
      cursor: 11,
      stored: [m1, m2],
      changedConversations: [C1],
      changedMessages: [],
      gaps: [],
      delivered: [{ conversationId: C1, upToSeq: 2 }],
    });
    expect(await o.store.getCursor()).toBe(11);
    expect(await o.store.latest(C1, 10)).toEqual([
      expect.objectContaining({ id: m1.id, seq: 1, state: 'received', senderId: BOB }),
      expect.objectContaining({ id: m2.id, seq: 2, state: 'received' }),
    ]);
    expect(await o.store.conversation(C1)).toMatchObject({ lastSeq: 2, lastActivityAt: m2.serverTs, unread: 2 });
  });

  it('drops pushes at or below the stored cursor, even ones never seen', async () => {
    const o = await openStore();
    await o.store.ingest([messagePush(10, msg(1))]);
    const result = await o.store.ingest([messagePush(10, msg(2)), messagePush(7, msg(3))]);
    expect(result).toMatchObject({ cursor: 10, stored: [], delivered: [] });
    expect(seqs(await o.store.latest(C1, 10))).toEqual([1]);
  });

  it('drops a duplicate within one batch by cursor', async () => {
    const o = await openStore();
    const result = await o.store.ingest([messagePush(5, msg(1)), messagePush(5, msg(2))]);
    expect(result.stored).toHaveLength(1);
    expect(seqs(await o.store.latest(C1, 10))).toEqual([1]);
  });

  it('stores every new push of a batch whose cursors arrive out of order', async () => {
    const o = await openStore();
    const result = await o.store.ingest([messagePush(6, msg(2)), messagePush(5, msg(1))]);
    expect(result.cursor).toBe(6);
    expect(seqs(await o.store.latest(C1, 10))).toEqual([1, 2]);
  });

  it('drops a message already stored, by id and by seq', async () => {
    const o = await openStore();
    const m1 = msg(1, { text: 'original' });
    await o.store.ingest([messagePush(1, m1)]);
    const sameId = { ...m1, content: { type: 'text', text: 'changed' } };
    const sameSeq = msg(1, { text: 'impostor' });
    const result = await o.store.ingest([messagePush(2, sameId), messagePush(3, sameSeq)]);
    expect(result.stored).toEqual([]);
    expect(result.cursor).toBe(3);
    expect(await o.store.latest(C1, 10)).toEqual([expect.objectContaining({ id: m1.id, content: m1.content })]);
    expect(await o.store.search('impostor', 10)).toEqual([]);
  });

  it('remembers the cursor across a reopen of the same file', async () => {
    const file = tempFile();
    const first = await openStore({ file });
    await first.store.ingest([messagePush(42, msg(1))]);
    await first.store.close();
    const second = await openStore({ file });
    expect(await second.store.getCursor()).toBe(42);
    // A replay from before the reload: a message never stored, but its cursor is not new.
    expect((await second.store.ingest([messagePush(42, msg(2))])).stored).toEqual([]);
    expect(seqs(await second.store.latest(C1, 10))).toEqual([1]);
  });

  it('stores nothing of a batch when one of its writes fails, cursor included', async () => {
    const o = await openStore();
    o.faults.fail = (sql) => sql.includes('INSERT INTO receipts');
    const err = await o.store.ingest([messagePush(1, msg(1)), receiptPush(2, BOB, 'read', 1)]).catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.STORAGE_FULL)).toBe(true);
    o.faults.fail = null;
    expect(await o.store.getCursor()).toBe(0);
    expect(await o.store.latest(C1, 10)).toEqual([]);
    expect(await o.store.conversationList(10, 0)).toEqual([]);
  });

  it('reports a gap, then advances and reports delivered once a page fills it', async () => {
    const o = await openStore();
    await o.store.ingest([messagePush(1, msg(1)), messagePush(2, msg(2))]);
    const pushed = await o.store.ingest([messagePush(3, msg(5))]);
    expect(pushed.gaps).toEqual([{ conversationId: C1, afterSeq: 2, beforeSeq: 5 }]);
    expect(pushed.delivered).toEqual([]);
    expect(await o.store.contiguousSeq(C1)).toBe(2);

    const filled = await o.store.storeMessages(C1, [msg(3), msg(4)]);
    expect(filled.gaps).toEqual([]);
    expect(filled.delivered).toEqual([{ conversationId: C1, upToSeq: 5 }]);
    expect(filled.stored.map((m) => m.seq)).toEqual([3, 4]);
    expect(await o.store.contiguousSeq(C1)).toBe(5);
    expect(seqs(await o.store.latest(C1, 10))).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports the first hole of several, then the next one once it is filled', async () => {
    const o = await openStore();
    const result = await o.store.storeMessages(C1, [msg(1), msg(3), msg(6)]);
    expect(result.gaps).toEqual([{ conversationId: C1, afterSeq: 1, beforeSeq: 3 }]);
    expect(result.delivered).toEqual([{ conversationId: C1, upToSeq: 1 }]);
    const next = await o.store.storeMessages(C1, [msg(2)]);
    expect(next.gaps).toEqual([{ conversationId: C1, afterSeq: 3, beforeSeq: 6 }]);
    expect(next.delivered).toEqual([{ conversationId: C1, upToSeq: 3 }]);
  });

  it('reports a gap again when a duplicate arrives and the hole is still open', async () => {
    const o = await openStore();
    const m3 = msg(3);
    await o.store.ingest([messagePush(1, msg(1)), messagePush(2, m3)]);
    const again = await o.store.storeMessages(C1, [m3]);
    expect(again.gaps).toEqual([{ conversationId: C1, afterSeq: 1, beforeSeq: 3 }]);
  });

  it('marks history complete when a page reaches seq 1', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(2), msg(3)]);
    expect(await o.store.historyComplete(C1)).toBe(false);
    await o.store.storeMessages(C1, [msg(1)]);
    expect(await o.store.historyComplete(C1)).toBe(true);
    expect(await o.store.oldestSeq(C1)).toBe(1);
  });

  it('refuses a page holding another conversation\'s message, storing none of it', async () => {
    const o = await openStore();
    const err = await o.store.storeMessages(C1, [msg(1), msg(2, { conversationId: C2 })]).catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.INVALID_PARAMS)).toBe(true);
    expect(await o.store.latest(C1, 10)).toEqual([]);
  });

  it('settles an own pending message when its push beats the send response', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    const copy = sentCopy(m, 1);
    const result = await o.store.ingest([messagePush(1, copy)]);
    expect(result.changedMessages).toEqual([{ conversationId: C1, id: m.id }]);
    expect(result.stored).toEqual([copy]);
    expect(await o.store.message(ME, m.id)).toMatchObject({ seq: 1, state: 'sent', serverTs: copy.serverTs, createdAt: m.createdAt });
    expect(await o.store.pendingCount()).toBe(0);
    expect(await o.store.nextBatch(0, 10)).toEqual([]);
    expect(await o.store.latest(C1, 10)).toHaveLength(1);
  });

  it('settles a failed message the server turns out to hold', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    await o.store.markFailed(m.id, { code: ErrorCode.REQUEST_TIMEOUT, message: 'gave up' });
    await o.store.ingest([messagePush(1, sentCopy(m, 1))]);
    expect(await o.store.message(ME, m.id)).toMatchObject({ seq: 1, state: 'sent', error: null });
    expect(ParleyError.is(await o.store.resend(m.id).catch((e: unknown) => e), ErrorCode.CONFLICT)).toBe(true);
  });

  it('stores my message sent from another device as sent', async () => {
    const o = await openStore();
    await o.store.ingest([messagePush(1, msg(1, { sender: ME }))]);
    expect((await o.store.latest(C1, 10))[0]?.state).toBe('sent');
  });

  it('moves own messages forward on others\' receipts: delivered, then read', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1, { sender: ME }), msg(2, { sender: BOB }), msg(3, { sender: ME }), msg(4, { sender: ME })]);
    const states = async () => (await o.store.latest(C1, 10)).map((m) => m.state);

    const delivered = await o.store.ingest([receiptPush(1, BOB, 'delivered', 3)]);
    expect(await states()).toEqual(['delivered', 'received', 'delivered', 'sent']);
    const [mine1, , mine3] = await o.store.latest(C1, 10);
    expect(new Set(delivered.changedMessages.map((c) => c.id))).toEqual(new Set([mine1!.id, mine3!.id]));

    await o.store.ingest([receiptPush(2, BOB, 'read', 1)]);
    expect(await states()).toEqual(['read', 'received', 'delivered', 'sent']);

    // Read implies delivered: a read up to 4 moves 4 past delivered, straight to read.
    await o.store.ingest([receiptPush(3, CAROL, 'read', 4)]);
    expect(await states()).toEqual(['read', 'received', 'read', 'read']);
  });

  it('keeps members\' receipt positions, never lowered, with read implying delivered', async () => {
    const o = await openStore();
    await o.store.ingest([receiptPush(1, BOB, 'delivered', 3), receiptPush(2, CAROL, 'read', 4)]);
    expect(await o.store.receipts(C1)).toEqual([
      { memberId: BOB, deliveredSeq: 3, readSeq: 0 },
      { memberId: CAROL, deliveredSeq: 4, readSeq: 4 },
    ]);
    const stale = await o.store.ingest([receiptPush(3, BOB, 'delivered', 2), receiptPush(4, CAROL, 'read', 1), receiptPush(5, CAROL, 'delivered', 4)]);
    expect(stale.changedConversations).toEqual([]);
    expect(await o.store.receipts(C1)).toEqual([
      { memberId: BOB, deliveredSeq: 3, readSeq: 0 },
      { memberId: CAROL, deliveredSeq: 4, readSeq: 4 },
    ]);
    // Raising one position leaves the other where it was.
    await o.store.ingest([receiptPush(6, CAROL, 'delivered', 6)]);
    expect(await o.store.receipts(C1)).toContainEqual({ memberId: CAROL, deliveredSeq: 6, readSeq: 4 });
  });

  it('does not move own messages on my own receipts (another device of mine)', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1, { sender: ME }), msg(2, { sender: BOB })]);
    await o.store.ingest([receiptPush(1, ME, 'delivered', 2), receiptPush(2, ME, 'read', 2)]);
    expect((await o.store.latest(C1, 10)).map((m) => m.state)).toEqual(['sent', 'received']);
  });

  it('gives an own message arriving after a receipt the state the receipt implies', async () => {
    const o = await openStore();
    await o.store.ingest([receiptPush(1, BOB, 'delivered', 5), receiptPush(2, CAROL, 'read', 2)]);
    await o.store.storeMessages(C1, [msg(2, { sender: ME }), msg(4, { sender: ME }), msg(6, { sender: ME })]);
    expect((await o.store.latest(C1, 10)).map((m) => m.state)).toEqual(['read', 'delivered', 'sent']);
  });

  it('moves my read position on my read receipt from another device, never back', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1), msg(2), msg(3)]);
    expect(await o.store.conversation(C1)).toMatchObject({ readSeq: 0, unread: 3 });
    const result = await o.store.ingest([receiptPush(1, ME, 'read', 2)]);
    expect(result.changedConversations).toEqual([C1]);
    expect(await o.store.conversation(C1)).toMatchObject({ readSeq: 2, unread: 1 });
    await o.store.ingest([receiptPush(2, ME, 'read', 1)]);
    expect(await o.store.conversation(C1)).toMatchObject({ readSeq: 2, unread: 1 });
  });

  it('moves my read position on a read receipt from my shop, for a merchant agent', async () => {
    const o = await openStore({ userId: 'agent-1', partyIds: [SHOP] });
    await o.store.storeMessages(C1, [msg(1, { sender: 'customer' }), msg(2, { sender: 'customer' })]);
    await o.store.ingest([receiptPush(1, SHOP, 'read', 2)]);
    expect(await o.store.conversation(C1)).toMatchObject({ readSeq: 2, unread: 0 });
  });

  it('does not move my read position on someone else\'s read receipt', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1), msg(2)]);
    await o.store.ingest([receiptPush(1, BOB, 'read', 2)]);
    expect(await o.store.conversation(C1)).toMatchObject({ readSeq: 0, unread: 2 });
  });

  it('raises my read position to each message I send, as the server does', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1), msg(2), msg(3, { sender: ME }), msg(4)]);
    expect(await o.store.conversation(C1)).toMatchObject({ readSeq: 3, unread: 1 });
  });

  it('never moves last activity back', async () => {
    const o = await openStore();
    await o.store.ingest([conversationPush(1, info(C1, { lastActivityAt: T0 + 100_000 }))]);
    await o.store.ingest([messagePush(2, msg(1))]); // stored at T0 + 1 000
    expect(await o.store.conversation(C1)).toMatchObject({ lastSeq: 1, lastActivityAt: T0 + 100_000 });
  });

  it('replaces a placeholder conversation with the pushed info, keeping the higher positions', async () => {
    const o = await openStore();
    await o.store.ingest([messagePush(1, msg(3))]);
    expect(await o.store.conversation(C1)).toMatchObject({ title: '', lastSeq: 3 });
    const result = await o.store.ingest([conversationPush(2, info(C1, { kind: 'group', title: 'Team', shopId: null, lastSeq: 1, lastActivityAt: T0 }))]);
    expect(result.changedConversations).toEqual([C1]);
    expect(await o.store.conversation(C1)).toMatchObject({ kind: 'group', title: 'Team', shopId: null, lastSeq: 3, lastActivityAt: T0 + 3000 });
    const same = await o.store.ingest([conversationPush(3, info(C1, { kind: 'group', title: 'Team', shopId: null }))]);
    expect(same.changedConversations).toEqual([]);
  });

  it('upserts conversation lists, keeping the larger read and last positions, and stores last messages', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1), msg(2), msg(3)]);
    await o.store.markRead(C1, 3);
    const last = msg(9, { conversationId: C2 });
    await o.store.upsertConversations([
      view(C1, { title: 'Renamed', lastSeq: 2, readSeq: 1 }),
      view(C2, { lastSeq: 9, readSeq: 4, lastActivityAt: last.serverTs, lastMessage: last }),
    ]);
    expect(await o.store.conversation(C1)).toMatchObject({ title: 'Renamed', lastSeq: 3, readSeq: 3 });
    expect(await o.store.conversation(C2)).toMatchObject({ lastSeq: 9, readSeq: 4, unread: 5, lastMessage: expect.objectContaining({ id: last.id }) });
    await o.store.upsertConversations([view(C2, { lastSeq: 12, readSeq: 11 })]);
    expect(await o.store.conversation(C2)).toMatchObject({ lastSeq: 12, readSeq: 11, unread: 1 });
  });

  it('stores and returns unknown content types untouched', async () => {
    const o = await openStore();
    const content = { type: 'poll.v2', question: '有现货吗?', options: [{ id: 1, label: 'yes' }], meta: { nested: [null, true, 1.5] } };
    const m = msg(1, { content });
    await o.store.ingest([messagePush(1, m)]);
    expect((await o.store.message(BOB, m.id))?.content).toEqual(content);
    // Not searchable: only text and card titles are.
    expect(await o.store.search('有现货', 10)).toEqual([]);
  });
});

describe('a conversation known only by a recent page', () => {
  it('treats what lies before the oldest stored seq as history, not as a gap', async () => {
    const o = await openStore();
    const page = Array.from({ length: 50 }, (_, i) => msg(51 + i, { sender: BOB }));
    const stored = await o.store.storeMessages(C1, page);
    expect(stored.gaps).toEqual([]);
    expect(await o.store.contiguousSeq(C1)).toBe(100);
    const next = await o.store.ingest([messagePush(1, msg(101, { sender: BOB }))]);
    expect(next.gaps).toEqual([]);
    const holed = await o.store.ingest([messagePush(2, msg(103, { sender: BOB }))]);
    expect(holed.gaps).toEqual([{ conversationId: C1, afterSeq: 101, beforeSeq: 103 }]);
  });
});
