/**
 * The send path. A message is stored as pending with its outbox row before any network I/O, so a
 * reload, a crash or a lost connection never loses it. Per conversation the outbox sends one at a
 * time, oldest first, so the server's seq follows the order the user typed in.
 */
import { ErrorCode, ParleyError, type Content, type Message } from '../../schema';
import type { NewUpload } from '../media/draft';
import { Changes, putMessages } from './inbox';
import { dropUploads, insertUploads } from './media';
import { first, messageColumns, nextOrderKey, toLocalMessage, type MessageRow, type StoreContext } from './rows';
import type { SqlExecutor } from './SqlDriver';
import type { IngestResult, LocalMessage, OutboxItem } from './types';

export interface EnqueueInput {
  /** The client-generated UUID, also the send's clientId (retries reuse it). */
  id: string;
  conversationId: string;
  content: Content;
  /** Local time, ms since the epoch: orders unsent messages. */
  createdAt: number;
  /** A media message's files, stored in the same transaction (the content refers to them as local refs). */
  uploads?: readonly NewUpload[];
}

export interface SendError {
  code: string;
  message: string;
}

export async function enqueue(tx: SqlExecutor, ctx: StoreContext, input: EnqueueInput): Promise<LocalMessage> {
  // The unique (sender, id) index is the existence check: a used id inserts nothing, and the
  // write (in its own savepoint) is refused before anything else is written.
  const inserted = await tx.all(
    `INSERT OR IGNORE INTO messages (id, sender_id, conversation_id, seq, content, state, created_at)
     VALUES (?, ?, ?, NULL, ?, 'pending', ?)
     RETURNING rowid`,
    [input.id, ctx.userId, input.conversationId, JSON.stringify(input.content), input.createdAt],
  );
  if (inserted.length === 0) throw new ParleyError(ErrorCode.CONFLICT, `message ${input.id} already exists`);
  await tx.run(
    `INSERT INTO outbox (message_id, conversation_id, order_key, attempts, next_attempt_at, status)
     VALUES (?, ?, ?, 0, 0, 'queued')`,
    [input.id, input.conversationId, await nextOrderKey(tx)],
  );
  if (input.uploads?.length) await insertUploads(tx, input.id, input.uploads);
  return {
    id: input.id,
    senderId: ctx.userId,
    conversationId: input.conversationId,
    seq: null,
    content: input.content,
    state: 'pending',
    error: null,
    createdAt: input.createdAt,
    serverTs: null,
  };
}

interface OutboxRow {
  message_id: string;
  conversation_id: string;
  attempts: number;
  order_key: number;
  content: string;
}

const OUTBOX_ITEM_SELECT = `SELECT o.message_id, o.conversation_id, o.attempts, o.order_key, m.content
     FROM outbox o JOIN messages m ON m.sender_id = ? AND m.id = o.message_id`;

const toOutboxItem = (r: OutboxRow): OutboxItem => ({
  messageId: r.message_id,
  conversationId: r.conversation_id,
  content: JSON.parse(r.content) as Content,
  attempts: r.attempts,
  orderKey: r.order_key,
});

/**
 * What to send now: each conversation's head (its oldest queued item), if due at `now`, oldest
 * first across conversations. A head waiting for its retry holds back the rest of its conversation.
 */
export async function nextBatch(db: SqlExecutor, ctx: StoreContext, now: number, limit: number): Promise<OutboxItem[]> {
  const rows = await db.all<OutboxRow>(
    `${OUTBOX_ITEM_SELECT}
     WHERE o.status = 'queued' AND o.next_attempt_at <= ?
       AND o.order_key = (SELECT MIN(h.order_key) FROM outbox h WHERE h.conversation_id = o.conversation_id AND h.status = 'queued')
     ORDER BY o.order_key
     LIMIT ?`,
    [ctx.userId, now, limit],
  );
  return rows.map(toOutboxItem);
}

/**
 * A conversation's queued messages in send order, after `afterOrderKey` (default: from its head; a rollback requeues at keys below 1),
 * at most `limit`: what may go out together in one messages.sendBatch.
 */
export async function queuedRun(db: SqlExecutor, ctx: StoreContext, conversationId: string, limit: number, afterOrderKey = Number.MIN_SAFE_INTEGER): Promise<OutboxItem[]> {
  const rows = await db.all<OutboxRow>(
    `${OUTBOX_ITEM_SELECT}
     WHERE o.conversation_id = ? AND o.status = 'queued' AND o.order_key > ?
     ORDER BY o.order_key
     LIMIT ?`,
    [ctx.userId, conversationId, afterOrderKey, limit],
  );
  return rows.map(toOutboxItem);
}

/**
 * The server stored the message: it takes its seq and serverTs, and leaves the outbox. If a push
 * of it was stored first, only the outbox row goes; a state a receipt already raised is kept.
 */
export async function markSent(tx: SqlExecutor, ctx: StoreContext, id: string, message: Message): Promise<IngestResult> {
  if (message.id !== id) {
    throw new ParleyError(ErrorCode.INVALID_PARAMS, `the server's message ${message.senderId}/${message.id} is not own message ${id}`);
  }
  return markSentBatch(tx, ctx, message.conversationId, [message]);
}

/**
 * {@link markSent} for a batch's stored messages of one conversation, in their order, with the
 * same outcome as one by one, in a few statements: the unsent ones settled as a set (settle.ts),
 * the seq bookkeeping once. A message deleted here while its send was in flight is stored again:
 * the server has it now.
 */
export async function markSentBatch(tx: SqlExecutor, ctx: StoreContext, conversationId: string, messages: readonly Message[]): Promise<IngestResult> {
  const stranger = messages.find((m) => m.senderId !== ctx.userId || m.conversationId !== conversationId);
  if (stranger) {
    throw new ParleyError(
      ErrorCode.INVALID_PARAMS,
      `the server's message ${stranger.senderId}/${stranger.id} in ${stranger.conversationId} is not an own message of ${conversationId}`,
    );
  }
  const changes = new Changes();
  await putMessages(tx, ctx, conversationId, messages, changes);
  return changes.finish(tx);
}

/** A retryable failure: one more attempt counted, due again at `nextAttemptAt`. False if no longer queued. */
export async function markRetry(tx: SqlExecutor, ctx: StoreContext, id: string, error: SendError, nextAttemptAt: number): Promise<boolean> {
  const r = await tx.run(
    `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error_code = ?, last_error_message = ?
     WHERE message_id = ? AND status = 'queued'`,
    [nextAttemptAt, error.code, error.message, id],
  );
  if (r.changes === 0) return false;
  await tx.run("UPDATE messages SET error_code = ?, error_message = ? WHERE sender_id = ? AND id = ? AND state = 'pending'", [
    error.code,
    error.message,
    ctx.userId,
    id,
  ]);
  return true;
}

/** A permanent failure: the message is failed with its reason until resent. False unless it was pending. */
export async function markFailed(tx: SqlExecutor, ctx: StoreContext, id: string, error: SendError): Promise<boolean> {
  const r = await tx.run(
    "UPDATE messages SET state = 'failed', error_code = ?, error_message = ? WHERE sender_id = ? AND id = ? AND state = 'pending'",
    [error.code, error.message, ctx.userId, id],
  );
  if (r.changes === 0) return false;
  await tx.run("UPDATE outbox SET status = 'failed', last_error_code = ?, last_error_message = ? WHERE message_id = ?", [
    error.code,
    error.message,
    id,
  ]);
  return true;
}

/**
 * A failed message goes back in line (its original place, so it still precedes what was typed
 * after it), due now, attempts reset. NOT_FOUND if absent, CONFLICT unless failed.
 */
export async function resend(tx: SqlExecutor, ctx: StoreContext, id: string): Promise<LocalMessage> {
  const row = await ownMessage(tx, ctx, id);
  if (row.state !== 'failed') throw new ParleyError(ErrorCode.CONFLICT, `message ${id} is ${row.state}, not failed`);
  await tx.run("UPDATE messages SET state = 'pending', error_code = NULL, error_message = NULL WHERE rowid = ?", [row.rowid]);
  const due = ctx.now();
  const r = await tx.run(
    `UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = ?, last_error_code = NULL, last_error_message = NULL
     WHERE message_id = ?`,
    [due, id],
  );
  if (r.changes === 0) {
    await tx.run(
      `INSERT INTO outbox (message_id, conversation_id, order_key, attempts, next_attempt_at, status)
       VALUES (?, ?, ?, 0, ?, 'queued')`,
      [id, row.conversation_id, await nextOrderKey(tx), due],
    );
  }
  return { ...toLocalMessage(row), state: 'pending', error: null };
}

/** Deletes an own message the server never stored, and its outbox row. NOT_FOUND if absent, CONFLICT once sent. */
export async function deletePending(tx: SqlExecutor, ctx: StoreContext, id: string): Promise<LocalMessage> {
  const row = await ownMessage(tx, ctx, id);
  if (row.seq !== null || (row.state !== 'pending' && row.state !== 'failed')) {
    throw new ParleyError(ErrorCode.CONFLICT, `message ${id} is ${row.state}: only unsent messages can be deleted`);
  }
  await tx.run('DELETE FROM messages WHERE rowid = ?', [row.rowid]);
  await tx.run('DELETE FROM outbox WHERE message_id = ?', [id]);
  await dropUploads(tx, id);
  return toLocalMessage(row);
}

/**
 * Every queued message waiting for a retry is due now: called when the connection is back, since
 * most waits are for a link that was down (a backoff then only delays the flush). Attempts stay
 * counted, so a message the server keeps refusing still ends failed. Returns how many moved.
 */
export async function retryNow(tx: SqlExecutor): Promise<number> {
  return (await tx.run("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'queued' AND next_attempt_at > 0")).changes;
}

/** Messages not accepted by the server yet: queued, and failed ones waiting for a resend. */
export async function unsentCount(db: SqlExecutor): Promise<number> {
  return (await first<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM outbox'))?.n ?? 0;
}

/** Messages queued to send (failed ones wait for a resend and are not counted). */
export async function pendingCount(db: SqlExecutor): Promise<number> {
  return (await first<{ n: number }>(db, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'queued'"))?.n ?? 0;
}

async function ownMessage(tx: SqlExecutor, ctx: StoreContext, id: string): Promise<MessageRow> {
  const row = await first<MessageRow>(tx, `SELECT ${messageColumns()} FROM messages WHERE sender_id = ? AND id = ?`, [ctx.userId, id]);
  if (!row) throw new ParleyError(ErrorCode.NOT_FOUND, `no own message ${id}`);
  return row;
}
