import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../../schema';
import {
  BOB,
  C1,
  C2,
  enqueueText,
  ME,
  messagePush,
  msg,
  openStore,
  receiptPush,
  sentCopy,
  tempFile,
  text,
} from './harness';

const TIMEOUT = { code: ErrorCode.REQUEST_TIMEOUT, message: 'no answer' };
const FORBIDDEN = { code: ErrorCode.FORBIDDEN, message: 'not a member' };

const code = (e: unknown) => (ParleyError.is(e) ? e.code : e);

describe('LocalStore send path', () => {
  it('stores a new message as pending with its outbox row, due at once', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hello');
    expect(m).toMatchObject({ senderId: ME, conversationId: C1, seq: null, state: 'pending', content: text('hello'), error: null });
    expect(await o.store.message(ME, m.id)).toEqual(m);
    expect(await o.store.pendingCount()).toBe(1);
    expect(await o.store.nextBatch(0, 10)).toEqual([{ messageId: m.id, conversationId: C1, content: text('hello'), attempts: 0, orderKey: 1 }]);
  });

  it('stores message and outbox row together or not at all', async () => {
    const o = await openStore();
    o.faults.fail = (sql) => sql.includes('INSERT INTO outbox');
    const err = await enqueueText(o, 'lost').catch((e: unknown) => e);
    expect(code(err)).toBe(ErrorCode.STORAGE_FULL);
    o.faults.fail = null;
    expect(await o.store.latest(C1, 10)).toEqual([]);
    expect(await o.store.pendingCount()).toBe(0);
    expect(await o.store.search('lost', 10)).toEqual([]);
  });

  it('leaves neither message nor outbox row when the COMMIT fails', async () => {
    const o = await openStore();
    o.faults.fail = (sql) => sql === 'COMMIT';
    const err = await enqueueText(o, 'lost').catch((e: unknown) => e);
    expect(code(err)).toBe(ErrorCode.STORAGE_FULL);
    o.faults.fail = null;
    expect(await o.store.latest(C1, 10)).toEqual([]);
    expect(await o.store.nextBatch(0, 10)).toEqual([]);
  });

  it('writes a send in three statements: message (its unique index checks the id), order key, outbox row', async () => {
    const o = await openStore();
    await enqueueText(o, 'first'); // the order counter exists from here on
    o.statements.length = 0;
    await enqueueText(o, 'second');
    expect(o.statements.filter((sql) => /^\s*(SELECT|INSERT|UPDATE|DELETE)/i.test(sql))).toHaveLength(3);
  });

  it('refuses an id already used', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'once');
    const err = await o.store.enqueue({ id: m.id, conversationId: C1, content: text('twice'), createdAt: 1 }).catch((e: unknown) => e);
    expect(code(err)).toBe(ErrorCode.CONFLICT);
    expect(await o.store.latest(C1, 10)).toEqual([m]);
  });

  it('offers one head per conversation, in send order across conversations', async () => {
    const o = await openStore();
    // C2 first, so send order and conversation id order differ.
    const b1 = await enqueueText(o, 'b1', C2);
    const a1 = await enqueueText(o, 'a1', C1);
    const b2 = await enqueueText(o, 'b2', C2);
    const a2 = await enqueueText(o, 'a2', C1);
    const ids = async (limit = 10) => (await o.store.nextBatch(0, limit)).map((i) => i.messageId);
    expect(await ids()).toEqual([b1.id, a1.id]);
    expect(await ids(1)).toEqual([b1.id]);
    await o.store.markSent(b1.id, sentCopy(b1, 1));
    expect(await ids()).toEqual([a1.id, b2.id]);
    await o.store.markSent(a1.id, sentCopy(a1, 1));
    expect(await ids()).toEqual([b2.id, a2.id]);
  });

  it('keeps the send order across a reopen (the order counter is stored)', async () => {
    const file = tempFile();
    const first = await openStore({ file });
    const a1 = await enqueueText(first, 'a1');
    await first.store.close();
    const second = await openStore({ file });
    await enqueueText(second, 'a2');
    expect((await second.store.nextBatch(0, 10)).map((i) => i.messageId)).toEqual([a1.id]);
  });

  it('settles a sent message with its seq and removes it from the outbox', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    const result = await o.store.markSent(m.id, sentCopy(m, 1));
    expect(await o.store.message(ME, m.id)).toMatchObject({ seq: 1, state: 'sent', serverTs: sentCopy(m, 1).serverTs });
    expect(await o.store.pendingCount()).toBe(0);
    expect(await o.store.nextBatch(0, 10)).toEqual([]);
    expect(result.changedMessages).toEqual([{ conversationId: C1, id: m.id }]);
    expect(result.delivered).toEqual([{ conversationId: C1, upToSeq: 1 }]);
    expect(await o.store.contiguousSeq(C1)).toBe(1);
  });

  it('copes with the push of the message having been stored before the response', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    await o.store.ingest([messagePush(1, sentCopy(m, 1))]);
    await o.store.markSent(m.id, sentCopy(m, 1));
    expect(await o.store.latest(C1, 10)).toEqual([expect.objectContaining({ id: m.id, seq: 1, state: 'sent' })]);
    expect(await o.store.pendingCount()).toBe(0);
  });

  it('keeps a state a receipt raised before the response arrived', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    // The push and BOB's read receipt both beat the response.
    await o.store.ingest([messagePush(1, sentCopy(m, 1)), receiptPush(2, BOB, 'read', 1)]);
    await o.store.markSent(m.id, sentCopy(m, 1));
    expect((await o.store.message(ME, m.id))?.state).toBe('read');
  });

  it('sends a message straight to the state receipts already cover when its response arrives last', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    // BOB read up to 1 before the response told us our message is seq 1.
    await o.store.ingest([receiptPush(1, BOB, 'read', 1)]);
    await o.store.markSent(m.id, sentCopy(m, 1));
    expect((await o.store.message(ME, m.id))?.state).toBe('read');
  });

  it('counts a retry, records its error and holds the conversation until it is due', async () => {
    const o = await openStore();
    const a1 = await enqueueText(o, 'a1', C1);
    await enqueueText(o, 'a2', C1);
    const b1 = await enqueueText(o, 'b1', C2);
    expect(await o.store.markRetry(a1.id, TIMEOUT, 5_000)).toBe(true);
    expect(await o.store.message(ME, a1.id)).toMatchObject({ state: 'pending', error: TIMEOUT });
    // a1 waits for its retry, and a2 waits behind it: only C2 moves.
    expect((await o.store.nextBatch(4_999, 10)).map((i) => i.messageId)).toEqual([b1.id]);
    const due = await o.store.nextBatch(5_000, 10);
    expect(due.map((i) => [i.messageId, i.attempts])).toEqual([
      [a1.id, 1],
      [b1.id, 0],
    ]);
    await o.store.markRetry(a1.id, TIMEOUT, 6_000);
    expect((await o.store.nextBatch(6_000, 10))[0]).toMatchObject({ messageId: a1.id, attempts: 2 });
    expect(await o.store.pendingCount()).toBe(3);
  });

  it('fails a message with its reason, and lets the conversation move on', async () => {
    const o = await openStore();
    const a1 = await enqueueText(o, 'a1');
    const a2 = await enqueueText(o, 'a2');
    expect(await o.store.markFailed(a1.id, FORBIDDEN)).toBe(true);
    expect(await o.store.message(ME, a1.id)).toMatchObject({ state: 'failed', error: FORBIDDEN, seq: null });
    expect((await o.store.nextBatch(0, 10)).map((i) => i.messageId)).toEqual([a2.id]);
    expect(await o.store.pendingCount()).toBe(1);
  });

  it('resends a failed message: pending, attempts reset, due now, back in its place', async () => {
    const o = await openStore();
    const a1 = await enqueueText(o, 'a1');
    const a2 = await enqueueText(o, 'a2');
    await o.store.markRetry(a1.id, TIMEOUT, 1_000);
    await o.store.markFailed(a1.id, FORBIDDEN);
    o.clock.now = 50_000;
    const resent = await o.store.resend(a1.id);
    expect(resent).toMatchObject({ id: a1.id, state: 'pending', error: null });
    expect(await o.store.message(ME, a1.id)).toEqual(resent);
    expect(await o.store.nextBatch(49_999, 10)).toEqual([]);
    // a1 is the head again: a2, typed after it, still waits behind it.
    expect(await o.store.nextBatch(50_000, 10)).toEqual([expect.objectContaining({ messageId: a1.id, attempts: 0 })]);
    await o.store.markSent(a1.id, sentCopy(a1, 1));
    expect((await o.store.nextBatch(50_000, 10)).map((i) => i.messageId)).toEqual([a2.id]);
  });

  it('refuses to resend what is not failed, and what does not exist', async () => {
    const o = await openStore();
    const pending = await enqueueText(o, 'pending');
    expect(code(await o.store.resend(pending.id).catch((e: unknown) => e))).toBe(ErrorCode.CONFLICT);
    expect(code(await o.store.resend('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e))).toBe(ErrorCode.NOT_FOUND);
    expect((await o.store.nextBatch(0, 10))[0]?.attempts).toBe(0);
  });

  it('deletes a pending or failed message with its outbox row, never a sent one', async () => {
    const o = await openStore();
    const pending = await enqueueText(o, 'pending words');
    const failed = await enqueueText(o, 'failed words', C2);
    const sent = await enqueueText(o, 'sent', C2);
    await o.store.markFailed(failed.id, FORBIDDEN);
    await o.store.markSent(sent.id, sentCopy(sent, 1));

    expect(await o.store.deletePending(pending.id)).toMatchObject({ id: pending.id, conversationId: C1 });
    expect(await o.store.deletePending(failed.id)).toMatchObject({ id: failed.id, state: 'failed' });
    expect(code(await o.store.deletePending(sent.id).catch((e: unknown) => e))).toBe(ErrorCode.CONFLICT);
    expect(code(await o.store.deletePending(pending.id).catch((e: unknown) => e))).toBe(ErrorCode.NOT_FOUND);

    expect(await o.store.message(ME, pending.id)).toBeNull();
    expect(await o.store.message(ME, sent.id)).toMatchObject({ state: 'sent' });
    expect(await o.store.pendingCount()).toBe(0);
    expect(await o.store.nextBatch(0, 10)).toEqual([]);
    expect(await o.store.search('words', 10)).toEqual([]);
    // A failed row left behind would come back on resend.
    expect(code(await o.store.resend(failed.id).catch((e: unknown) => e))).toBe(ErrorCode.NOT_FOUND);
  });

  it('refuses every attempt to move an own message backwards', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    const copy = sentCopy(m, 1);
    await o.store.markSent(m.id, copy);
    await o.store.ingest([receiptPush(1, BOB, 'read', 1)]);
    const state = async () => (await o.store.message(ME, m.id))?.state;
    expect(await state()).toBe('read');

    expect(await o.store.markFailed(m.id, FORBIDDEN)).toBe(false);
    expect(await o.store.markRetry(m.id, TIMEOUT, 1)).toBe(false);
    await o.store.markSent(m.id, copy);
    await o.store.ingest([receiptPush(2, BOB, 'delivered', 1), messagePush(3, copy)]);
    await o.store.storeMessages(C1, [copy]);
    expect(code(await o.store.resend(m.id).catch((e: unknown) => e))).toBe(ErrorCode.CONFLICT);
    expect(code(await o.store.deletePending(m.id).catch((e: unknown) => e))).toBe(ErrorCode.CONFLICT);
    expect(await o.store.message(ME, m.id)).toMatchObject({ state: 'read', seq: 1, error: null });
    expect(await o.store.nextBatch(0, 10)).toEqual([]);
  });

  it('keeps a delivered message delivered when an older delivered receipt arrives', async () => {
    const o = await openStore();
    await o.store.storeMessages(C1, [msg(1, { sender: ME }), msg(2, { sender: ME })]);
    await o.store.ingest([receiptPush(1, BOB, 'delivered', 2), receiptPush(2, BOB, 'delivered', 1)]);
    expect((await o.store.latest(C1, 10)).map((m) => m.state)).toEqual(['delivered', 'delivered']);
  });

  it('does not fail a message the server already stored', async () => {
    const o = await openStore();
    const m = await enqueueText(o, 'hi');
    await o.store.ingest([messagePush(1, sentCopy(m, 1))]);
    expect(await o.store.markFailed(m.id, FORBIDDEN)).toBe(false);
    expect(await o.store.markRetry(m.id, TIMEOUT, 1)).toBe(false);
    expect(await o.store.message(ME, m.id)).toMatchObject({ state: 'sent', error: null });
  });
});
