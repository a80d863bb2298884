/** The read path: what tabs show. Reads wait for a running transaction, so they see only committed data. */
import { first, messageColumns, placeholders, toLocalMessage, type ConversationRow, type MessageRow } from './rows';
import type { SqlExecutor } from './SqlDriver';
import type { LocalConversation, LocalMessage, MemberReceipt } from './types';

/** FTS5's trigram tokenizer indexes 3-character sequences: shorter queries cannot use it. */
const TRIGRAM = 3;

interface ListRow extends ConversationRow {
  last_rowid: number | null;
}

/**
 * Conversations by last activity, newest first (ties by id, as the server orders them). An unsent
 * own message counts as activity at its createdAt, so a conversation jumps up as soon as one is typed.
 *
 * `unread` counts others' messages after readSeq, including ones not stored here yet: it is
 * lastSeq - readSeq, because every message after readSeq is someone else's (sending raises the
 * sender's read position to the message, on the server and in this store alike).
 */
export async function conversationList(db: SqlExecutor, limit: number, offset: number): Promise<LocalConversation[]> {
  return listConversations(db, '', [], limit, offset);
}

export async function conversation(db: SqlExecutor, id: string): Promise<LocalConversation | null> {
  return (await listConversations(db, 'WHERE c.id = ?', [id], 1, 0))[0] ?? null;
}

async function listConversations(
  db: SqlExecutor,
  where: string,
  params: string[],
  limit: number,
  offset: number,
): Promise<LocalConversation[]> {
  const rows = await db.all<ListRow>(
    `SELECT c.*,
       MAX(c.last_activity_at, COALESCE((SELECT MAX(u.created_at) FROM messages u WHERE u.conversation_id = c.id AND u.seq IS NULL), 0)) AS activity,
       COALESCE(
         (SELECT u.rowid FROM messages u WHERE u.conversation_id = c.id AND u.seq IS NULL ORDER BY u.created_at DESC, u.rowid DESC LIMIT 1),
         (SELECT s.rowid FROM messages s WHERE s.conversation_id = c.id AND s.seq IS NOT NULL ORDER BY s.seq DESC LIMIT 1)
       ) AS last_rowid
     FROM conversations c
     ${where}
     ORDER BY activity DESC, c.id
     LIMIT ? OFFSET ?`,
    [...params, limit, offset],
  );
  const lastIds = rows.map((r) => r.last_rowid).filter((id): id is number => id !== null);
  const last = new Map<number, LocalMessage>();
  if (lastIds.length > 0) {
    const messages = await db.all<MessageRow>(`SELECT ${messageColumns()} FROM messages WHERE rowid IN (${placeholders(lastIds.length)})`, lastIds);
    for (const m of messages) last.set(m.rowid, toLocalMessage(m));
  }
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    title: r.title,
    shopId: r.shop_id,
    createdAt: r.created_at,
    lastSeq: r.last_seq,
    lastActivityAt: r.last_activity_at,
    readSeq: r.read_seq,
    unread: Math.max(0, r.last_seq - r.read_seq),
    lastMessage: r.last_rowid === null ? null : (last.get(r.last_rowid) ?? null),
  }));
}

/**
 * The newest `limit` messages as a chat shows them: stored ones by seq, then own unsent ones by
 * createdAt (those always sit at the bottom until the server orders them).
 */
export async function latest(db: SqlExecutor, conversationId: string, limit: number): Promise<LocalMessage[]> {
  const cols = messageColumns();
  // One statement, so both halves come from one snapshot: reads may run beside a write, and two
  // statements could see a message both unsent and sent.
  const rows = await db.all<MessageRow & { unsent: number }>(
    `SELECT * FROM (SELECT ${cols}, 1 AS unsent FROM messages WHERE conversation_id = ? AND seq IS NULL ORDER BY created_at DESC, rowid DESC LIMIT ?)
     UNION ALL
     SELECT * FROM (SELECT ${cols}, 0 AS unsent FROM messages WHERE conversation_id = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT ?)`,
    [conversationId, limit, conversationId, limit],
  );
  const unsent = rows.filter((r) => r.unsent === 1).sort((x, y) => y.created_at - x.created_at || y.rowid - x.rowid);
  const sent = rows.filter((r) => r.unsent === 0).sort((x, y) => y.seq! - x.seq!);
  return [...unsent, ...sent].slice(0, limit).reverse().map(toLocalMessage);
}

/** Up to `limit` stored messages with seq < beforeSeq, ascending: the page above what is shown. */
export async function before(db: SqlExecutor, conversationId: string, beforeSeq: number, limit: number): Promise<LocalMessage[]> {
  const rows = await db.all<MessageRow>(
    `SELECT ${messageColumns()} FROM messages WHERE conversation_id = ? AND seq IS NOT NULL AND seq < ? ORDER BY seq DESC LIMIT ?`,
    [conversationId, beforeSeq, limit],
  );
  return rows.reverse().map(toLocalMessage);
}

export async function message(db: SqlExecutor, senderId: string, id: string): Promise<LocalMessage | null> {
  const row = await first<MessageRow>(db, `SELECT ${messageColumns()} FROM messages WHERE sender_id = ? AND id = ?`, [senderId, id]);
  return row ? toLocalMessage(row) : null;
}

/**
 * Messages whose text (or card title) contains `query`, case-insensitively, newest first. Three
 * characters or more use the trigram index (any script, Chinese included); shorter ones scan.
 *
 * The index records which messages hold each trigram, not where (detail=none: a fifth of the
 * positional index's size, and most of what a catch-up wrote). So it finds the messages holding
 * every trigram of the query, case-folded by its tokenizer, and of those the ones whose text holds
 * the query itself are kept: the trigrams may occur apart.
 */
export async function search(db: SqlExecutor, query: string, limit: number): Promise<LocalMessage[]> {
  const q = query.trim();
  if (q === '') return [];
  const cols = messageColumns('m');
  const order = 'ORDER BY COALESCE(m.server_ts, m.created_at) DESC, m.rowid DESC LIMIT ?';
  const chars = [...q];
  if (chars.length < TRIGRAM) {
    const rows = await db.all<MessageRow>(`SELECT ${cols} FROM messages m WHERE m.search_text LIKE ? ESCAPE '\\' ${order}`, [
      `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      limit,
    ]);
    return rows.map(toLocalMessage);
  }
  // Each trigram a quoted string: the query's own quotes, operators and columns are text, not syntax.
  const trigrams = new Set(chars.slice(0, -2).map((_, i) => chars.slice(i, i + TRIGRAM).join('')));
  const match = [...trigrams].map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
  const needle = fold(q);
  const found: LocalMessage[] = [];
  const chunk = Math.max(limit, SEARCH_CHUNK);
  for (let offset = 0; found.length < limit; offset += chunk) {
    const rows = await db.all<MessageRow & { search_text: string | null }>(
      `SELECT ${cols}, m.search_text FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ? ${order} OFFSET ?`,
      [match, chunk, offset],
    );
    for (const row of rows) {
      if (found.length < limit && row.search_text !== null && fold(row.search_text).includes(needle)) found.push(toLocalMessage(row));
    }
    if (rows.length < chunk) break;
  }
  return found;
}

/** Candidates read at a time; few are dropped, since the trigrams of a query rarely all occur apart. */
const SEARCH_CHUNK = 50;

/** Case folding close to the trigram tokenizer's (Unicode, diacritics kept). */
function fold(text: string): string {
  return text.toLowerCase();
}

/** Every seq in 1..contiguousSeq is stored here; 0 for an unknown conversation. */
export async function contiguousSeq(db: SqlExecutor, conversationId: string): Promise<number> {
  return (await first<{ s: number }>(db, 'SELECT contiguous_seq AS s FROM conversations WHERE id = ?', [conversationId]))?.s ?? 0;
}

/** The lowest seq stored here, or null when none is. */
export async function oldestSeq(db: SqlExecutor, conversationId: string): Promise<number | null> {
  return (await first<{ s: number | null }>(db, 'SELECT MIN(seq) AS s FROM messages WHERE conversation_id = ?', [conversationId]))?.s ?? null;
}

/** Every member's delivered and read positions that receipts reported, by member id. */
export async function receipts(db: SqlExecutor, conversationId: string): Promise<MemberReceipt[]> {
  return db.all<MemberReceipt>(
    'SELECT member_id AS memberId, delivered_seq AS deliveredSeq, read_seq AS readSeq FROM receipts WHERE conversation_id = ? ORDER BY member_id',
    [conversationId],
  );
}

/** Whether no older history exists on the server than what is stored here (a page reached seq 1). */
export async function historyComplete(db: SqlExecutor, conversationId: string): Promise<boolean> {
  return (await first<{ h: number }>(db, 'SELECT history_complete AS h FROM conversations WHERE id = ?', [conversationId]))?.h === 1;
}

/** Local read position forward only, clamped to lastSeq. True if it moved. */
export async function markRead(tx: SqlExecutor, conversationId: string, upToSeq: number): Promise<boolean> {
  const r = await tx.run('UPDATE conversations SET read_seq = MIN(?, last_seq) WHERE id = ? AND read_seq < MIN(?, last_seq)', [
    upToSeq,
    conversationId,
    upToSeq,
  ]);
  return r.changes > 0;
}
