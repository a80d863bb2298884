/**
 * Pruning the push stream on the server's SQLite database. Each conversation keeps the highest
 * cursor pruned from its events (`conversations.pruned_pos`), so whether a device's replay would
 * cross pruned events is known exactly, per user, after the events themselves are gone: a quiet
 * user's old cursor is still good, and a busy conversation's missing events are never skipped.
 */
import type { Identity } from '../../auth/tokens';
import type { Store } from '../Store';
import type { Write } from './ports';
import { asParty, partyParams } from './party';
import type { Sql } from './statements';

export class SqliteRetention implements Pick<Store, 'prune' | 'prunedAfter'> {
  constructor(
    private readonly sql: Sql,
    private readonly write: Write,
  ) {}

  async prune(before: number, limit: number): Promise<{ pruned: number; horizon: number }> {
    // Most runs find nothing: that answer needs no write (and no fsync).
    if (this.lastPrunable(before, limit) === 0) return { pruned: 0, horizon: this.horizon() };
    return this.write(() => {
      const upTo = this.lastPrunable(before, limit);
      let pruned = 0;
      if (upTo > 0) {
        this.sql(
            `UPDATE conversations SET pruned_pos = x.pos
               FROM (SELECT conversation_id, MAX(pos) AS pos FROM events WHERE pos <= ? GROUP BY conversation_id) AS x
              WHERE conversations.id = x.conversation_id AND x.pos > conversations.pruned_pos`,
          )
          .run(upTo);
        pruned = this.sql('DELETE FROM events WHERE pos <= ?').run(upTo).changes;
      }
      return { pruned, horizon: this.horizon() };
    });
  }

  async prunedAfter(user: Identity, cursor: number): Promise<boolean> {
    const hit = this.sql(
        `SELECT 1 FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE ${asParty('m.')} AND c.pruned_pos > ? LIMIT 1`,
      )
      .pluck()
      .get(...partyParams(user), cursor);
    return hit !== undefined;
  }

  /**
   * The cursor of the last event to prune: of the oldest `limit` events, the run of those appended
   * before `before` (the stream is pruned as a prefix, so a clock step back never leaves a hole).
   */
  private lastPrunable(before: number, limit: number): number {
    const oldest = this.sql('SELECT pos, created_at FROM events ORDER BY pos LIMIT ?').all(limit) as { pos: number; created_at: number }[];
    let upTo = 0;
    for (const e of oldest) {
      if (e.created_at >= before) break;
      upTo = e.pos;
    }
    return upTo;
  }

  private horizon(): number {
    return this.sql('SELECT COALESCE(MAX(pruned_pos), 0) FROM conversations').pluck().get() as number;
  }
}
