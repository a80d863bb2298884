/**
 * The server lost history this device had stored (a power loss or a restore took back commits it
 * had already pushed), and it said so at auth (`resync`). Its cursor and seqs after that point may
 * be reused by new events, which this device would otherwise drop as duplicates. Before any push is
 * taken, in one transaction, the device goes back to what the server still holds:
 * - own messages stored above the conversation's kept seq go back to the outbox, ahead of anything
 *   queued, in their old order: the server no longer has them, and a resend (same id) stores them
 *   once, wherever they came from;
 * - others' messages above it are removed: they are gone from the server, and their seqs will be
 *   reused;
 * - seq bookkeeping, read positions and receipts come down to the kept seq; a conversation the
 *   server does not know any more goes, unless it still holds own unsent messages;
 * - the cursor becomes the server's, under its new epoch.
 */
import { MetaKey } from '../../schema/local/migrations';
import { first, setMeta, type StoreContext } from './rows';
import type { SqlExecutor } from './SqlDriver';

export interface RollbackInput {
  /** Where the server's stream restarts (its `resync.cursor`). */
  cursor: number;
  /** The server's epoch now. */
  epoch: string;
  /** Each conversation the server holds for this user, with the highest seq it held at `cursor`. */
  kept: ReadonlyMap<string, number>;
}

export interface RollbackResult {
  /** Own messages put back in the outbox. */
  requeued: number;
  /** Others' messages removed. */
  dropped: number;
  /** Conversations changed or removed. */
  conversations: string[];
}

export async function rollback(tx: SqlExecutor, ctx: StoreContext, input: RollbackInput): Promise<RollbackResult> {
  const ids = (await tx.all<{ id: string }>('SELECT id FROM conversations ORDER BY id')).map((r) => r.id);
  // Requeued messages take keys below every queued one, so each conversation resends them first.
  const lowest = Number((await first<{ k: number | null }>(tx, 'SELECT MIN(order_key) AS k FROM outbox'))?.k ?? 0);
  // Only what lies above each kept seq is read (by the (conversation, seq) index), not all history.
  const lost: { id: string; conversation_id: string }[] = [];
  for (const id of ids) {
    lost.push(
      ...(await tx.all<{ id: string; conversation_id: string }>(
        'SELECT id, conversation_id FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id = ? ORDER BY seq',
        [id, input.kept.get(id) ?? 0, ctx.userId],
      )),
    );
  }
  let key = Math.min(lowest, 0) - lost.length;
  for (const m of lost) {
    await tx.run(
      `UPDATE messages SET seq = NULL, state = 'pending', server_ts = NULL, error_code = NULL, error_message = NULL
        WHERE sender_id = ? AND id = ?`,
      [ctx.userId, m.id],
    );
    await tx.run(
      `INSERT INTO outbox (message_id, conversation_id, order_key, attempts, next_attempt_at, status) VALUES (?, ?, ?, 0, 0, 'queued')`,
      [m.id, m.conversation_id, key++],
    );
  }
  let dropped = 0;
  const changed = new Set(lost.map((m) => m.conversation_id));
  for (const id of ids) {
    const seq = input.kept.get(id);
    const removed = await tx.run('DELETE FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id != ?', [id, seq ?? 0, ctx.userId]);
    dropped += removed.changes;
    if (removed.changes > 0) changed.add(id);
    if (seq === undefined) {
      const gone = await tx.run('DELETE FROM conversations WHERE id = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?)', [id, id]);
      if (gone.changes > 0) {
        await tx.run('DELETE FROM receipts WHERE conversation_id = ?', [id]);
        changed.add(id);
        continue;
      }
    }
    const k = seq ?? 0;
    const lowered = await tx.run(
      `UPDATE conversations SET last_seq = MIN(last_seq, ?), contiguous_seq = MIN(contiguous_seq, ?), read_seq = MIN(read_seq, ?)
        WHERE id = ? AND MAX(last_seq, contiguous_seq, read_seq) > ?`,
      [k, k, k, id, k],
    );
    await tx.run('UPDATE receipts SET delivered_seq = MIN(delivered_seq, ?), read_seq = MIN(read_seq, ?) WHERE conversation_id = ?', [k, k, id]);
    if (lowered.changes > 0) changed.add(id);
  }
  await setMeta(tx, MetaKey.CURSOR, String(input.cursor));
  await setMeta(tx, MetaKey.EPOCH, input.epoch);
  return { requeued: lost.length, dropped, conversations: [...changed] };
}
