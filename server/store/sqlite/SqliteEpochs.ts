/**
 * Store epochs on the server's SQLite database (table `epochs`): each start begins one at the highest
 * event cursor ever assigned, so a device can learn that what it saw past some cursor was lost (a
 * power loss or a restore took it back) and that cursors after it may be reused.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Store } from '../Store';
import type { Sql } from './statements';

export class SqliteEpochs implements Pick<Store, 'epochEnd'> {
  private constructor(
    private readonly sql: Sql,
    /** This run's epoch. */
    readonly current: string,
  ) {}

  /**
   * A new epoch starting at the highest event cursor ever assigned (AUTOINCREMENT's record, which a
   * lost commit rolls back too). Checkpointed at once, so the epoch itself survives a power loss
   * even with synchronous=NORMAL.
   */
  static begin(db: Database.Database, sql: Sql, now: () => number): SqliteEpochs {
    const id = randomBytes(8).toString('hex');
    const start = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
    db.prepare('INSERT INTO epochs (id, start_cursor, started_at) VALUES (?, ?, ?)').run(id, start, now());
    db.pragma('wal_checkpoint(TRUNCATE)');
    return new SqliteEpochs(sql, id);
  }

  async epochEnd(epoch: string): Promise<number | null> {
    if (epoch === this.current) return null;
    const next = this.sql('SELECT n FROM epochs WHERE id = ?').pluck().get(epoch) as number | undefined;
    const end =
      next === undefined
        ? this.sql('SELECT start_cursor FROM epochs WHERE id = ?').pluck().get(this.current)
        : this.sql('SELECT start_cursor FROM epochs WHERE n > ? ORDER BY n LIMIT 1').pluck().get(next);
    return end as number;
  }
}
