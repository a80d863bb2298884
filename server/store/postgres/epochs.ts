/**
 * Store epochs on PostgreSQL: one per database, not one per start (as on SQLite), because
 * PostgreSQL keeps what it acknowledged and a node's restart takes nothing back. A restore from a
 * backup does: devices may hold events, cursors and seqs past what the restored database has, and
 * new events would reuse them. Beginning a new epoch then (`npm run new-epoch`, with the nodes
 * stopped) makes every device whose cursor is past the restored head roll back (`resync`).
 */
import type { Query } from './PgConversations';

/** Begin a new epoch at the stream's head. Resolves with its id and where it begins. */
export async function beginEpoch(query: Query, now: number): Promise<{ id: string; startCursor: number }> {
  const [row] = await query<{ id: string; start_cursor: number }>(
    `INSERT INTO epochs (id, start_cursor, started_at)
     SELECT substr(md5(random()::text || clock_timestamp()::text), 1, 16), head, $1 FROM stream
     RETURNING id, start_cursor`,
    [now],
  );
  return { id: row!.id, startCursor: Number(row!.start_cursor) };
}

/** The newest epoch's id. */
export async function currentEpoch(query: Query): Promise<string> {
  const [row] = await query<{ id: string }>('SELECT id FROM epochs ORDER BY n DESC LIMIT 1');
  return row!.id;
}

/**
 * Where `epoch` ended: null for `current`; for an earlier one, where the epoch after it began; for
 * one this database never had, where the current one began (nothing of it is held here).
 */
export async function epochEnd(query: Query, current: string, epoch: string): Promise<number | null> {
  if (epoch === current) return null;
  const [row] = await query<{ end: number | null }>(
    `SELECT COALESCE(
       (SELECT e.start_cursor FROM epochs e WHERE e.n > (SELECT n FROM epochs WHERE id = $1) ORDER BY e.n LIMIT 1),
       (SELECT start_cursor FROM epochs WHERE id = $2)) AS end`,
    [epoch, current],
  );
  return Number(row?.end ?? 0);
}
