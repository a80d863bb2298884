/**
 * The receive path: pushes, history pages and conversation lists from the server. Everything is
 * stored once (pushes by cursor, messages by (sender, id) and by (conversation, seq)) and moves
 * forward only: seq bookkeeping, receipts and message states never go back.
 */
import { ErrorCode, ParleyError, type ConversationInfo, type ConversationView, type Message, type PushEvent } from '../../schema';
import { MetaKey } from '../../schema/local/migrations';
import {
  first,
  getMeta,
  placeholders,
  setMeta,
  STATE_RANK_SQL,
  type StoreContext,
} from './rows';
import { ownStateAt, settleUnsent, shaped, type OthersPositions } from './settle';
import type { SqlExecutor } from './SqlDriver';
import type { IngestResult, MessageState, PushRecord } from './types';
import { applyRecall } from './redaction';

type ReceiptEvent = Extract<PushEvent, { kind: 'receipt' }>;

/** What one write changed, collected as it goes; {@link finish} adds the seq bookkeeping. */
export class Changes {
  readonly stored: Message[] = [];
  private readonly conversations = new Set<string>();
  private readonly messages = new Map<string, { conversationId: string; id: string }>();
  /** Conversations that got messages (new or duplicate): their contiguous seq and gaps are rechecked. */
  private readonly sequences = new Set<string>();

  conversation(id: string): void {
    this.conversations.add(id);
  }

  message(conversationId: string, id: string): void {
    this.messages.set(`${conversationId}/${id}`, { conversationId, id });
    this.conversations.add(conversationId);
  }

  sequence(conversationId: string): void {
    this.sequences.add(conversationId);
  }

  async finish(tx: SqlExecutor, cursor?: number): Promise<IngestResult> {
    const gaps: IngestResult['gaps'] = [];
    const delivered: IngestResult['delivered'] = [];
    for (const conversationId of this.sequences) {
      const { advancedTo, gapBefore, contiguous } = await settleSequence(tx, conversationId);
      if (advancedTo !== null) {
        delivered.push({ conversationId, upToSeq: advancedTo });
        this.conversation(conversationId);
      }
      if (gapBefore !== null) gaps.push({ conversationId, afterSeq: contiguous, beforeSeq: gapBefore });
    }
    return {
      cursor: cursor ?? (await storedCursor(tx)),
      stored: this.stored,
      changedConversations: [...this.conversations],
      changedMessages: [...this.messages.values()],
      gaps,
      delivered,
    };
  }
}

export async function storedCursor(db: SqlExecutor): Promise<number> {
  return Number((await getMeta(db, MetaKey.CURSOR)) ?? '0');
}

/** The server epoch the stored cursor belongs to; null before any was stored. */
export function storedEpoch(db: SqlExecutor): Promise<string | null> {
  return getMeta(db, MetaKey.EPOCH);
}

/**
 * Pushes, in one transaction: those at or below the stored cursor are duplicates and skipped.
 * `epoch`, when given, is the server epoch they came under, stored with the cursor.
 */
export async function ingest(tx: SqlExecutor, ctx: StoreContext, records: readonly PushRecord[], epoch?: string): Promise<IngestResult> {
  const start = await storedCursor(tx);
  let cursor = start;
  const changes = new Changes();
  for (const { cursor: at, event } of [...records].sort((a, b) => a.cursor - b.cursor)) {
    if (at <= cursor) continue;
    cursor = at;
    switch (event.kind) {
      case 'message':
        await putMessage(tx, ctx, event.message, changes);
        break;
      case 'receipt':
        await applyReceipt(tx, ctx, event, changes);
        break;
      case 'conversation':
        if (await upsertConversation(tx, event.conversation, 0)) changes.conversation(event.conversation.id);
        break;
      case 'recall':
        if (await applyRecall(tx, event.senderId, event.messageId)) changes.message(event.conversationId, event.messageId);
        break;
    }
  }
  if (cursor > start) await setMeta(tx, MetaKey.CURSOR, String(cursor));
  if (epoch !== undefined) await setMeta(tx, MetaKey.EPOCH, epoch);
  return changes.finish(tx, cursor);
}

/** A history or range page of one conversation. A page that reaches seq 1 completes its history. */
export async function storeMessages(tx: SqlExecutor, ctx: StoreContext, conversationId: string, messages: readonly Message[]): Promise<IngestResult> {
  const changes = new Changes();
  await putPage(tx, ctx, conversationId, messages, changes);
  return changes.finish(tx);
}

/** {@link storeMessages} inside a write that collects its own changes. */
export async function putPage(tx: SqlExecutor, ctx: StoreContext, conversationId: string, messages: readonly Message[], changes: Changes): Promise<void> {
  const stranger = messages.find((m) => m.conversationId !== conversationId);
  if (stranger) {
    throw new ParleyError(ErrorCode.INVALID_PARAMS, `message ${stranger.id} belongs to ${stranger.conversationId}, not ${conversationId}`);
  }
  await putMessages(tx, ctx, conversationId, messages, changes);
  if (messages.some((m) => m.seq === 1)) {
    const r = await tx.run('UPDATE conversations SET history_complete = 1 WHERE id = ? AND history_complete = 0', [conversationId]);
    if (r.changes > 0) changes.conversation(conversationId);
  }
}

/** conversations.list results: info replaced, positions only raised, each last message stored. */
export async function upsertConversations(tx: SqlExecutor, ctx: StoreContext, list: readonly ConversationView[]): Promise<IngestResult> {
  const changes = new Changes();
  for (const view of list) {
    if (await upsertConversation(tx, view, view.readSeq)) changes.conversation(view.id);
    if (view.lastMessage) await putMessage(tx, ctx, view.lastMessage, changes);
  }
  return changes.finish(tx);
}

/**
 * Stores a message the server holds. A duplicate (same sender and id, or same conversation and
 * seq) is dropped; an own message still unsent here (the push or page beat the send's response)
 * is settled as sent instead, and its outbox row removed.
 */
export function putMessage(tx: SqlExecutor, ctx: StoreContext, m: Message, changes: Changes): Promise<void> {
  return putMessages(tx, ctx, m.conversationId, [m], changes);
}

/**
 * {@link putMessage} for each message of one conversation in turn, with the same outcome, in a few
 * statements rather than four or five per message: each statement costs a round of wa-sqlite's
 * async wrappers, and FTS5 writes what a statement indexed as a segment of its own (merged later).
 * - The conversation's last_seq, last_activity_at and (for own messages) read_seq only rise, so
 *   the messages' highest values raise them at once.
 * - Only an own message can be stored unsent (seq NULL), so only own ids are looked up; any other
 *   message already stored is dropped by the INSERT's OR IGNORE, as a lookup would have dropped it.
 * - Receipts do not change while messages are stored: others' positions are read once.
 * - New messages go in multi-row INSERTs and unsent own ones are settled as a set (settle.ts),
 *   each run written before the next begins, in the order given, as one by one.
 */
export async function putMessages(tx: SqlExecutor, ctx: StoreContext, conversationId: string, messages: readonly Message[], changes: Changes): Promise<void> {
  const [head] = messages;
  if (!head) return;
  changes.sequence(conversationId);
  const own = messages.filter((m) => m.senderId === ctx.userId);
  const highest = (ms: readonly Message[], of: (m: Message) => number) => ms.reduce((top, m) => Math.max(top, of(m)), -Infinity);
  // A placeholder conversation takes its created_at from the first message, as one by one.
  if (await touchConversation(tx, conversationId, head.serverTs, highest(messages, (m) => m.seq), highest(messages, (m) => m.serverTs))) {
    changes.conversation(conversationId);
  }
  // The server moves a sender's read position to what they send; do the same here.
  if (own.length > 0 && (await raiseReadSeq(tx, conversationId, highest(own, (m) => m.seq)))) changes.conversation(conversationId);

  const storedOwn = await storedSeqs(tx, ctx.userId, own.map((m) => m.id));
  let others: OthersPositions | null = null;
  const positions = async () => (others ??= await othersPositions(tx, ctx, conversationId));
  // Runs of new messages and of unsent own ones alternate in the given order: each run is written
  // before the next begins, as one by one.
  let run: NewMessage[] = [];
  let unsent: Message[] = [];
  const settleRun = async () => {
    if (unsent.length === 0) return;
    const settled = new Set(await settleUnsent(tx, ctx, unsent, await positions()));
    for (const m of unsent) {
      if (!settled.delete(m.id)) continue;
      changes.stored.push(m);
      changes.message(m.conversationId, m.id);
    }
    unsent = [];
  };
  for (const m of messages) {
    const mine = m.senderId === ctx.userId;
    if (mine && storedOwn.has(m.id)) {
      if (storedOwn.get(m.id) === null) {
        await insertMessages(tx, run, changes);
        run = [];
        unsent.push(m);
        storedOwn.set(m.id, m.seq);
      }
      continue;
    }
    await settleRun();
    const state: MessageState = mine ? ownStateAt(await positions(), m.seq) : 'received';
    run.push({ m, state });
  }
  await settleRun();
  await insertMessages(tx, run, changes);
  // A page may say a message stored here was recalled since (a recall event this device never took:
  // it started at the head, or the event was pruned): the stored row follows the page.
  for (const m of messages) {
    if (m.content.type === 'recalled' && (await applyRecall(tx, m.senderId, m.id))) changes.message(m.conversationId, m.id);
  }
}

interface NewMessage {
  m: Message;
  state: MessageState;
}

/** seq (null while unsent) of each of `ids` that `senderId` has stored. */
async function storedSeqs(tx: SqlExecutor, senderId: string, ids: readonly string[]): Promise<Map<string, number | null>> {
  const found = new Map<string, number | null>();
  for (const piece of shaped(ids)) {
    const rows = await tx.all<{ id: string; seq: number | null }>(
      `SELECT id, seq FROM messages WHERE sender_id = ? AND id IN (${placeholders(piece.length)})`,
      [senderId, ...piece],
    );
    for (const r of rows) found.set(r.id, r.seq);
  }
  return found;
}

const INSERT_COLUMNS = '(id, sender_id, conversation_id, seq, content, state, created_at, server_ts)';
const INSERT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * INSERT OR IGNORE of each message, in order: one dropped as a duplicate (by identity or by seq)
 * leaves no trace; those stored are reported. RETURNING tells them apart; a message repeated in
 * `run` is stored at most once, by its first occurrence that fit, as one by one.
 */
async function insertMessages(tx: SqlExecutor, run: readonly NewMessage[], changes: Changes): Promise<void> {
  for (const piece of shaped(run)) {
    const params: (string | number | null)[] = [];
    for (const { m, state } of piece) {
      params.push(m.id, m.senderId, m.conversationId, m.seq, JSON.stringify(m.content), state, m.serverTs, m.serverTs);
    }
    const inserted = await tx.all<{ sender_id: string; id: string; seq: number }>(
      `INSERT OR IGNORE INTO messages ${INSERT_COLUMNS} VALUES ${Array.from(piece, () => INSERT_ROW).join(', ')}
       RETURNING sender_id, id, seq`,
      params,
    );
    if (inserted.length === 0) continue;
    const keys = new Set(inserted.map((r) => rowKey(r.sender_id, r.id, r.seq)));
    for (const { m } of piece) {
      if (keys.delete(rowKey(m.senderId, m.id, m.seq))) {
        changes.stored.push(m);
        changes.conversation(m.conversationId);
      }
    }
  }
}

const rowKey = (senderId: string, id: string, seq: number) => JSON.stringify([senderId, id, seq]);

/** Creates the conversation if unknown (a placeholder until its info arrives) and raises last_seq/last_activity_at. */
async function touchConversation(tx: SqlExecutor, conversationId: string, createdAt: number, lastSeq: number, lastActivityAt: number): Promise<boolean> {
  const r = await tx.run(
    `INSERT INTO conversations (id, kind, title, shop_id, created_at, last_seq, last_activity_at)
     VALUES (?, 'direct', '', NULL, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET
       last_seq = MAX(last_seq, excluded.last_seq),
       last_activity_at = MAX(last_activity_at, excluded.last_activity_at)
     WHERE excluded.last_seq > last_seq OR excluded.last_activity_at > last_activity_at`,
    [conversationId, createdAt, lastSeq, lastActivityAt],
  );
  return r.changes > 0;
}

async function raiseReadSeq(tx: SqlExecutor, conversationId: string, seq: number): Promise<boolean> {
  const r = await tx.run('UPDATE conversations SET read_seq = ? WHERE id = ? AND read_seq < ?', [seq, conversationId, seq]);
  return r.changes > 0;
}

/** The server's view of a conversation: info replaced, last_seq, last_activity_at and read_seq only raised. */
export async function upsertConversation(tx: SqlExecutor, c: ConversationInfo, readSeq: number): Promise<boolean> {
  const r = await tx.run(
    `INSERT INTO conversations (id, kind, title, shop_id, created_at, last_seq, last_activity_at, read_seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET
       kind = excluded.kind, title = excluded.title, shop_id = excluded.shop_id, created_at = excluded.created_at,
       last_seq = MAX(last_seq, excluded.last_seq),
       last_activity_at = MAX(last_activity_at, excluded.last_activity_at),
       read_seq = MAX(read_seq, excluded.read_seq)
     WHERE kind IS NOT excluded.kind OR title IS NOT excluded.title OR shop_id IS NOT excluded.shop_id
       OR created_at IS NOT excluded.created_at OR excluded.last_seq > last_seq
       OR excluded.last_activity_at > last_activity_at OR excluded.read_seq > read_seq`,
    [c.id, c.kind, c.title, c.shopId, c.createdAt, c.lastSeq, c.lastActivityAt, readSeq],
  );
  return r.changes > 0;
}

/**
 * A member's delivered or read position. Positions only rise, and read implies delivered. From
 * another member it moves own messages up to it forward; a read from me (my other device, or my
 * shop's other agent) moves my read position.
 */
export async function applyReceipt(tx: SqlExecutor, ctx: StoreContext, e: ReceiptEvent, changes: Changes): Promise<void> {
  const read = e.receipt === 'read';
  const fromMe = ctx.me.includes(e.userId);
  // Own messages at or below the others' best position of this kind already carry its state
  // (stores and receipts keep that so), so only the range above it needs updating.
  const floor = fromMe ? 0 : (await othersPositions(tx, ctx, e.conversationId))[read ? 'read' : 'delivered'];
  const r = await tx.run(
    `INSERT INTO receipts (conversation_id, member_id, delivered_seq, read_seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (conversation_id, member_id) DO UPDATE SET
       delivered_seq = MAX(delivered_seq, excluded.delivered_seq),
       read_seq = MAX(read_seq, excluded.read_seq)
     WHERE excluded.delivered_seq > delivered_seq OR excluded.read_seq > read_seq`,
    [e.conversationId, e.userId, e.upToSeq, read ? e.upToSeq : 0],
  );
  if (r.changes === 0) return; // at or below what we knew
  changes.conversation(e.conversationId);
  if (fromMe) {
    if (read) await raiseReadSeq(tx, e.conversationId, e.upToSeq);
    return;
  }
  if (e.upToSeq <= floor) return;
  const moved = await tx.all<{ id: string }>(
    `UPDATE messages SET state = ?
     WHERE conversation_id = ? AND sender_id = ? AND seq > ? AND seq <= ? AND ${STATE_RANK_SQL} BETWEEN 1 AND ?
     RETURNING id`,
    [read ? 'read' : 'delivered', e.conversationId, ctx.userId, floor, e.upToSeq, read ? 2 : 1],
  );
  for (const { id } of moved) changes.message(e.conversationId, id);
}

async function othersPositions(tx: SqlExecutor, ctx: StoreContext, conversationId: string): Promise<OthersPositions> {
  const row = await first<{ read: number | null; delivered: number | null }>(
    tx,
    `SELECT MAX(read_seq) AS read, MAX(delivered_seq) AS delivered
     FROM receipts WHERE conversation_id = ? AND member_id NOT IN (${placeholders(ctx.me.length)})`,
    [conversationId, ...ctx.me],
  );
  return { read: row?.read ?? 0, delivered: row?.delivered ?? 0 };
}

/**
 * Advances contiguous_seq over the run of stored seqs right after it, then finds the first hole:
 * a stored seq above contiguous_seq + 1 means the ones between are missing. The run begins at the
 * oldest stored seq: history before it is not a gap.
 */
async function settleSequence(
  tx: SqlExecutor,
  conversationId: string,
): Promise<{ contiguous: number; advancedTo: number | null; gapBefore: number | null }> {
  const row = await first<{ contiguous_seq: number }>(tx, 'SELECT contiguous_seq FROM conversations WHERE id = ?', [conversationId]);
  if (!row) return { contiguous: 0, advancedTo: null, gapBefore: null };
  let contiguous = row.contiguous_seq;
  let advancedTo: number | null = null;
  if (contiguous === 0) {
    // Nothing settled yet: we hold a recent page, not the start of the conversation. The run
    // starts at the oldest seq we hold; what lies before it is older history, which is paged in
    // on demand (loadOlder), not a gap to download.
    const oldest = await first<{ seq: number | null }>(tx, 'SELECT MIN(seq) AS seq FROM messages WHERE conversation_id = ?', [conversationId]);
    if (oldest?.seq && oldest.seq > 1) {
      contiguous = oldest.seq - 1;
      await tx.run('UPDATE conversations SET contiguous_seq = ? WHERE id = ?', [contiguous, conversationId]);
    }
  }
  const next = await first(tx, 'SELECT 1 AS present FROM messages WHERE conversation_id = ? AND seq = ?', [conversationId, contiguous + 1]);
  if (next) {
    // The run starting at contiguous + 1 ends at its first seq without a successor.
    const end = await first<{ seq: number }>(
      tx,
      `SELECT m.seq FROM messages m
       WHERE m.conversation_id = ? AND m.seq > ?
         AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.conversation_id = m.conversation_id AND n.seq = m.seq + 1)
       ORDER BY m.seq LIMIT 1`,
      [conversationId, contiguous],
    );
    contiguous = end!.seq;
    advancedTo = contiguous;
    await tx.run('UPDATE conversations SET contiguous_seq = ? WHERE id = ?', [contiguous, conversationId]);
  }
  const above = await first<{ seq: number | null }>(tx, 'SELECT MIN(seq) AS seq FROM messages WHERE conversation_id = ? AND seq > ?', [
    conversationId,
    contiguous,
  ]);
  return { contiguous, advancedTo, gapBefore: above?.seq ?? null };
}
