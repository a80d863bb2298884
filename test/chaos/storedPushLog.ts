/**
 * Which pushes a device's engine stored, logged in its database by the very transaction that
 * stored them. A browser's engine may be SIGKILLed, or its SharedWorker closed, right after a
 * commit and before any tab hears of the push; a log written in the same transaction still has
 * it, and a transaction rolled back leaves no line. With it the checker can tell a dropped push
 * (below the stored cursor, never stored) from one stored by an engine that died at once.
 *
 * Test-only, wired around a store and its driver when the chaos worker opens a database
 * (browser/chaosWorker.ts), never inside the store: its ingest is told which cursors it is about
 * to store, and the driver, before each COMMIT, logs those above the cursor the transaction began
 * with and at or below the one it ends with. That is exactly what the transaction stored: ingest
 * stores every record above the stored cursor and raises it to the highest one.
 */
import type { LocalStore } from '../../worker/store/LocalStore';
import type { SqlDriver, SqlExecutor } from '../../worker/store/SqlDriver';

const CREATE = 'CREATE TABLE IF NOT EXISTS chaos_stored_push (cursor INTEGER PRIMARY KEY)';
const CURSOR = "SELECT value FROM meta WHERE key = 'cursor'";

export class StoredPushLog {
  /** Cursors of the pushes an ingest under way is storing. */
  private readonly staged = new Set<number>();
  private wrapped: SqlDriver | null = null;
  /** Until attach(), transactions are the store's migrations: there is no cursor to read yet. */
  private attached = false;

  /** The driver to open the store on: the same, with every transaction (once attached) logging what it stored. */
  wrap(driver: SqlDriver): SqlDriver {
    const log = async (tx: SqlExecutor, from: number) => {
      if (this.staged.size === 0) return;
      const to = await storedCursor(tx);
      const stored = [...this.staged].filter((c) => c > from && c <= to);
      if (stored.length > 0) await tx.run('INSERT OR IGNORE INTO chaos_stored_push (cursor) SELECT value FROM json_each(?)', [JSON.stringify(stored)]);
    };
    return (this.wrapped = {
      get durability() {
        return driver.durability;
      },
      exec: (sql) => driver.exec(sql),
      all: (sql, params) => driver.all(sql, params),
      run: (sql, params) => driver.run(sql, params),
      close: () => driver.close(),
      transaction: (fn) => {
        if (!this.attached) return driver.transaction(fn);
        return driver.transaction(async (tx) => {
          const from = await storedCursor(tx);
          const result = await fn(tx);
          await log(tx, from);
          return result;
        });
      },
    });
  }

  /** The wrapped driver (what wrap() returned). */
  get driver(): SqlDriver {
    if (!this.wrapped) throw new Error('wrap() the driver the store is opened on first');
    return this.wrapped;
  }

  /** Create the log (once the store has migrated its database) and have `store`'s ingest stage its cursors. */
  async attach(store: LocalStore): Promise<void> {
    await this.driver.exec(CREATE);
    this.attached = true;
    const ingest = store.ingest.bind(store);
    // Every argument passes through: a wrapper that dropped one (the epoch) once made every
    // browser device look like a device from a lost history.
    store.ingest = async (...args: Parameters<LocalStore['ingest']>) => {
      const cursors = args[0].map((r) => r.cursor);
      for (const c of cursors) this.staged.add(c);
      try {
        return await ingest(...args);
      } finally {
        for (const c of cursors) this.staged.delete(c);
      }
    };
  }
}

/** Every push cursor the log holds, ascending. */
export async function readStoredPushes(db: Pick<SqlExecutor, 'all'>): Promise<number[]> {
  return (await db.all<{ cursor: number }>('SELECT cursor FROM chaos_stored_push ORDER BY cursor')).map((r) => r.cursor);
}

async function storedCursor(tx: SqlExecutor): Promise<number> {
  return Number((await tx.all<{ value: string }>(CURSOR))[0]?.value ?? 0);
}
