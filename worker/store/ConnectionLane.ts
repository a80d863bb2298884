/**
 * One wa-sqlite connection and the queue in front of it: every call, a whole transaction included,
 * runs alone (wa-sqlite's Asyncify build corrupts its stack if a second call enters while the first
 * is suspended in the VFS; each connection has its own module instance, so two lanes may run at
 * once). A call that leaves the connection broken (see WaSqliteConnection.broken) reopens it from
 * IndexedDB before the next call runs; the failed call still rejects with its own error.
 */
import * as SQLite from '@journeyapps/wa-sqlite';
import { SerialQueue } from './SerialQueue';
import { sqliteError } from './sqliteErrors';
import type { WaSqliteConnection } from './waSqliteConnection';

export class ConnectionLane {
  readonly #queue = new SerialQueue();
  #conn: WaSqliteConnection | null;
  #closed = false;

  constructor(
    conn: WaSqliteConnection,
    private readonly reopen: (() => Promise<WaSqliteConnection>) | null,
  ) {
    this.#conn = conn;
  }

  run<T>(job: (conn: WaSqliteConnection) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      if (this.#closed) throw sqliteError('database is closed', SQLite.SQLITE_MISUSE);
      // A failed reopen left no connection: try again now, and fail this call if it fails again.
      const conn = (this.#conn ??= await this.reopen!());
      try {
        return await job(conn);
      } finally {
        if (conn.broken && this.reopen) await this.#reopen(conn);
      }
    });
  }

  /** After the calls already queued. */
  close(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      await this.#conn?.close();
      this.#conn = null;
    });
  }

  async #reopen(broken: WaSqliteConnection): Promise<void> {
    await broken.close().catch(() => {});
    this.#conn = null;
    this.#conn = await this.reopen!().catch((e: unknown) => {
      console.warn(`parley: reopening the database failed (${String(e)}); retrying on the next call`);
      return null;
    });
  }
}
