/**
 * Pruning the push stream on PostgreSQL, as on SQLite: the oldest events past the horizon go as a
 * prefix, and each conversation keeps the highest cursor pruned from it (`pruned_pos`), so whether a
 * device's replay would cross pruned events is known exactly per user. Several nodes may prune at
 * once: each run is one write and the deletes are idempotent.
 */
import type { Identity } from '../../auth/tokens';
import type { Store } from '../Store';
import { asParty, partyParams } from './party';
import type { Query } from './PgConversations';
import type { PgWrite, Tx } from './PgGroupCommit';

export class PgRetention implements Pick<Store, 'prune' | 'prunedAfter'> {
  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
  ) {}

  async prune(before: number, limit: number): Promise<{ pruned: number; horizon: number }> {
    // Most runs find nothing: that answer needs no write.
    if ((await this.lastPrunable(this.query, before, limit)) === 0) return { pruned: 0, horizon: await this.horizon(this.query) };
    return this.write([], async (tx) => {
      const upTo = await this.lastPrunable(tx.query, before, limit);
      let pruned = 0;
      if (upTo > 0) {
        await tx.query(
          `UPDATE conversations SET pruned_pos = x.pos
             FROM (SELECT conversation_id, MAX(pos) AS pos FROM events WHERE pos <= $1 GROUP BY conversation_id) AS x
            WHERE conversations.id = x.conversation_id AND x.pos > conversations.pruned_pos`,
          [upTo],
        );
        pruned = (await tx.query<{ n: number }>('WITH gone AS (DELETE FROM events WHERE pos <= $1 RETURNING 1) SELECT COUNT(*) AS n FROM gone', [upTo]))[0]!.n;
      }
      return { pruned, horizon: await this.horizon(tx.query) };
    });
  }

  async prunedAfter(user: Identity, cursor: number): Promise<boolean> {
    const hit = await this.query(
      `SELECT 1 FROM members m JOIN conversations c ON c.id = m.conversation_id
        WHERE ${asParty(1, 2, 'm.')} AND c.pruned_pos > $3 LIMIT 1`,
      [...partyParams(user), cursor],
    );
    return hit.length > 0;
  }

  /** The cursor of the last event to prune: of the oldest `limit` events, the run appended before `before`. */
  private async lastPrunable(q: Query | Tx['query'], before: number, limit: number): Promise<number> {
    const oldest = await q<{ pos: number; created_at: number }>('SELECT pos, created_at FROM events ORDER BY pos LIMIT $1', [limit]);
    let upTo = 0;
    for (const e of oldest) {
      if (e.created_at >= before) break;
      upTo = e.pos;
    }
    return upTo;
  }

  private async horizon(q: Query | Tx['query']): Promise<number> {
    return (await q<{ h: number }>('SELECT COALESCE(MAX(pruned_pos), 0) AS h FROM conversations'))[0]!.h;
  }
}
