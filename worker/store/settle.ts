/**
 * Own messages the server turns out to hold while still unsent here (seq NULL): a send's answer,
 * or a push or page that beat it. Settled as a set, in three statements for any number of them
 * (up to {@link MAX_SHAPE} a statement), not four per message: each statement is a round of
 * wa-sqlite's async wrappers, and a flushed batch of 100 used to pay 400 of them.
 */
import type { Message } from '../../schema';
import { placeholders, storedState, type StoreContext } from './rows';
import type { SqlExecutor } from './SqlDriver';
import type { MessageState } from './types';

/**
 * Statement sizes, in rows, for multi-row statements: a statement is prepared once per SQL text,
 * so rows are sent in the smallest size that holds them (256 at most per statement), the last row
 * repeated to fill it. A repeat changes nothing: an id repeated in IN, a row repeated in INSERT OR
 * IGNORE (same identity, so ignored) or in an UPDATE's FROM (same values).
 */
const SHAPES = [1, 4, 16, 64, 256] as const;
export const MAX_SHAPE = SHAPES[SHAPES.length - 1]!;

/** `items` in statement-sized pieces, each padded to its shape with its last item. */
export function shaped<T>(items: readonly T[]): T[][] {
  const pieces: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_SHAPE) {
    const piece = items.slice(i, i + MAX_SHAPE);
    const size = SHAPES.find((s) => s >= piece.length)!;
    while (piece.length < size) piece.push(piece[piece.length - 1]!);
    pieces.push(piece);
  }
  return pieces;
}

/** The highest read and delivered positions of a conversation's other members (0 when none). */
export interface OthersPositions {
  read: number;
  delivered: number;
}

/** The state an own message stored at `seq` takes: what others' receipts already cover, at least sent. */
export function ownStateAt(others: OthersPositions, seq: number): MessageState {
  return storedState(others.read >= seq ? 3 : others.delivered >= seq ? 2 : 0);
}

const SETTLE_ROW = '(?, ?, ?, ?, ?)';

/**
 * Each of `messages` (own, of one conversation, unsent here when looked up) takes the server's
 * seq, time and content and the state receipts already cover; its outbox row and local files go.
 * One that is no longer unsent (settled meanwhile) is left alone. Returns the ids it settled, in
 * the order given.
 *
 * OR IGNORE: were a seq already taken (a corrupt database), a poison message must not block the
 * rest forever; it stays unsent, as one by one.
 */
export async function settleUnsent(tx: SqlExecutor, ctx: StoreContext, messages: readonly Message[], others: OthersPositions): Promise<string[]> {
  const settled = new Set<string>();
  for (const piece of shaped(messages)) {
    const params: (string | number)[] = [];
    for (const m of piece) params.push(m.id, m.seq, m.serverTs, ownStateAt(others, m.seq), JSON.stringify(m.content));
    const rows = await tx.all<{ id: string }>(
      `WITH v (id, seq, server_ts, state, content) AS (VALUES ${Array.from(piece, () => SETTLE_ROW).join(', ')})
       UPDATE OR IGNORE messages
          SET seq = v.seq, server_ts = v.server_ts, state = v.state, content = v.content, error_code = NULL, error_message = NULL
         FROM v
        WHERE messages.sender_id = ? AND messages.id = v.id AND messages.seq IS NULL
       RETURNING messages.id AS id`,
      [...params, ctx.userId],
    );
    for (const r of rows) settled.add(r.id);
  }
  const ids = messages.map((m) => m.id).filter((id) => settled.has(id));
  for (const piece of shaped(ids)) {
    await tx.run(`DELETE FROM outbox WHERE message_id IN (${placeholders(piece.length)})`, piece);
    // The server's copy (with its media URLs) is the message now; the local files are not needed.
    await tx.run(`DELETE FROM media_uploads WHERE message_id IN (${placeholders(piece.length)})`, piece);
  }
  return [...new Set(ids)];
}
