/**
 * Messages replaced by a placeholder: recalled by their sender (everywhere, by the server's word) or
 * deleted by this user on this device alone. The row stays, with its seq, so history has no hole
 * to fetch again and a page from the server cannot bring the text back (a stored row is never
 * overwritten by a page); only the content changes, and the search index forgets the text with it
 * (the FTS update trigger follows content).
 */
import type { SqlExecutor } from './SqlDriver';

export const RECALLED = JSON.stringify({ type: 'recalled' });
/** Local only: never sent, never on the wire (the server refuses it). */
export const DELETED = JSON.stringify({ type: 'deleted' });

/**
 * The sender recalled this message: it shows as recalled from now on, unless this user deleted it
 * here (nothing to show either way). Returns its conversation if a row changed.
 */
export async function applyRecall(tx: SqlExecutor, senderId: string, id: string): Promise<string | null> {
  const rows = await tx.all<{ conversation_id: string }>(
    `UPDATE messages SET content = ? WHERE sender_id = ? AND id = ? AND seq IS NOT NULL AND content NOT IN (?, ?)
     RETURNING conversation_id`,
    [RECALLED, senderId, id, RECALLED, DELETED],
  );
  return rows[0]?.conversation_id ?? null;
}

/** This user deleted the message on this device: it is kept as a placeholder the views leave out. */
export async function deleteForMe(tx: SqlExecutor, senderId: string, id: string): Promise<string | null> {
  const rows = await tx.all<{ conversation_id: string }>(
    'UPDATE messages SET content = ? WHERE sender_id = ? AND id = ? AND seq IS NOT NULL AND content IS NOT ? RETURNING conversation_id',
    [DELETED, senderId, id, DELETED],
  );
  return rows[0]?.conversation_id ?? null;
}
