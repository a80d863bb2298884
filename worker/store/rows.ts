/** How the store's rows map to what it returns, and the small SQL helpers every part shares. */
import type { Content, ConversationKind } from '../../schema';
import { MetaKey } from '../../schema/local/migrations';
import type { SqlExecutor } from './SqlDriver';
import type { LocalMessage, MessageState } from './types';

/** Who "me" is for one store. */
export interface StoreContext {
  /** The user this database belongs to: the sender of own messages. */
  readonly userId: string;
  /** userId plus the parties it speaks for (a merchant's shop): receipts from these are mine. */
  readonly me: readonly string[];
  readonly now: () => number;
}

export interface MessageRow {
  rowid: number;
  id: string;
  sender_id: string;
  conversation_id: string;
  seq: number | null;
  content: string;
  state: MessageState;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  server_ts: number | null;
}

export interface ConversationRow {
  id: string;
  kind: ConversationKind;
  title: string;
  shop_id: string | null;
  created_at: number;
  last_seq: number;
  last_activity_at: number;
  read_seq: number;
  contiguous_seq: number;
  history_complete: number;
}

/** Columns for {@link MessageRow}, optionally qualified by a table alias. */
export function messageColumns(alias = ''): string {
  const p = alias ? `${alias}.` : '';
  return ['rowid', 'id', 'sender_id', 'conversation_id', 'seq', 'content', 'state', 'error_code', 'error_message', 'created_at', 'server_ts']
    .map((c) => p + c)
    .join(', ');
}

export function toLocalMessage(row: MessageRow): LocalMessage {
  return {
    id: row.id,
    senderId: row.sender_id,
    conversationId: row.conversation_id,
    seq: row.seq,
    // Stored as received, unknown types included: what comes back is exactly what went in.
    content: JSON.parse(row.content) as Content,
    state: row.state,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    createdAt: row.created_at,
    serverTs: row.server_ts,
  };
}

/**
 * Own messages move forward only: pending and failed (0) → sent (1) → delivered (2) → read (3).
 * The same ranking as SQL, for conditions like `${STATE_RANK_SQL} < 2`.
 */
export const STATE_RANK_SQL = "(CASE state WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 0 END)";
const RANKED: readonly MessageState[] = ['pending', 'sent', 'delivered', 'read'];

/** The state of an own message the server stored, given the best receipt rank covering it (0 if none). */
export function storedState(rank: number): MessageState {
  return RANKED[Math.max(1, Math.min(3, rank))]!;
}

/** `?, ?, ?` for an IN list of `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

export async function first<T>(db: SqlExecutor, sql: string, params: readonly (string | number | null)[] = []): Promise<T | null> {
  return (await db.all<T>(sql, params))[0] ?? null;
}

export async function getMeta(db: SqlExecutor, key: string): Promise<string | null> {
  return (await first<{ value: string }>(db, 'SELECT value FROM meta WHERE key = ?', [key]))?.value ?? null;
}

export async function setMeta(tx: SqlExecutor, key: string, value: string): Promise<void> {
  await tx.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
}

/** The next outbox order key, from a counter that survives reloads and never repeats. */
export async function nextOrderKey(tx: SqlExecutor): Promise<number> {
  // One statement per send rather than a read and a write; the first key ever inserts the counter.
  const raised = await first<{ value: string }>(tx, 'UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ? RETURNING value', [
    MetaKey.ORDER_KEY,
  ]);
  if (raised) return Number(raised.value);
  await setMeta(tx, MetaKey.ORDER_KEY, '1');
  return 1;
}
