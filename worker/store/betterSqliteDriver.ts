/**
 * A SqlDriver over better-sqlite3, for Node: the store's unit tests run its SQL on real SQLite, and
 * Node programs can use the store as they are. better-sqlite3 is synchronous; this wraps it in the
 * browser driver's async, one-call-at-a-time contract so the store cannot tell the two apart.
 */
import Database from 'better-sqlite3';
import { ErrorCode, ParleyError } from '../../schema';
import { SerialQueue } from './SerialQueue';
import type { SqlDriver, SqlExecutor, SqlRunResult, SqlValue, StorageDurability } from './SqlDriver';

export interface BetterSqliteDriverOptions {
  /**
   * Test hook for quota behaviour. Called before every write: a `run` (or `all`) of a statement
   * that writes, an `exec` other than transaction control, and the COMMIT (passed as 'COMMIT').
   * Returning true fails that write, without running it, the way a full disk would: an Error named
   * 'QuotaExceededError' with code 'SQLITE_FULL' (what the wa-sqlite driver raises for a quota abort).
   */
  failWrites?: (sql: string) => boolean;
  /** Test hook: sees every statement about to run, transaction control included (e.g. to count BEGINs). */
  onStatement?: (sql: string) => void;
}

/** Statements that open, close or mark a transaction: never "writes" for {@link BetterSqliteDriverOptions.failWrites}. */
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;
/** The store uses a few dozen distinct SQL strings; the cap only guards against a caller building SQL per call. */
const STATEMENT_CACHE_SIZE = 128;

export class BetterSqliteDriver implements SqlDriver {
  readonly durability: StorageDurability;
  private readonly db: Database.Database;
  private readonly queue = new SerialQueue();
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;

  /**
   * Opens (creating if needed) the database at `filename`; ':memory:' (or '') for a private
   * in-memory database, reported as durability 'memory'. A file uses WAL, as the server does.
   */
  constructor(
    filename: string,
    private readonly options: BetterSqliteDriverOptions = {},
  ) {
    const memory = filename === '' || filename === ':memory:';
    this.durability = memory ? 'memory' : 'persistent';
    this.db = new Database(filename);
    if (!memory) this.db.pragma('journal_mode = WAL');
  }

  exec(sql: string): Promise<void> {
    return this.queue.run(async () => this.execNow(sql));
  }

  all<T = Record<string, SqlValue>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.queue.run(async () => this.allNow<T>(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    return this.queue.run(async () => this.runNow(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      this.control('BEGIN IMMEDIATE');
      let live = true;
      const check = () => {
        if (!live) throw new Error('this transaction has ended: use the driver, not a stale tx handle');
      };
      // The queue is held by this transaction, so tx calls run at once, in call order.
      const tx: SqlExecutor = {
        exec: async (sql) => (check(), this.execNow(sql)),
        all: async <R = Record<string, SqlValue>>(sql: string, params: readonly SqlValue[] = []) => (check(), this.allNow<R>(sql, params)),
        run: async (sql, params = []) => (check(), this.runNow(sql, params)),
      };
      try {
        const value = await fn(tx);
        this.failIfFull('COMMIT');
        this.control('COMMIT');
        return value;
      } catch (err) {
        // A failed COMMIT may leave the transaction open (SQLITE_FULL does): undo it all.
        if (this.db.inTransaction) this.control('ROLLBACK');
        throw err;
      } finally {
        live = false;
      }
    });
  }

  /** Waits for calls already made, then closes. Later calls reject with CLOSED. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.statements.clear();
      this.db.close();
    });
  }

  private execNow(sql: string): void {
    this.assertOpen();
    if (!TRANSACTION_CONTROL.test(sql)) this.failIfFull(sql);
    this.options.onStatement?.(sql);
    this.native(() => this.db.exec(sql));
  }

  private allNow<T>(sql: string, params: readonly SqlValue[]): T[] {
    const stmt = this.prepare(sql);
    if (!stmt.readonly) this.failIfFull(sql);
    this.options.onStatement?.(sql);
    return this.native(() => stmt.all(...bind(params)) as T[]);
  }

  private runNow(sql: string, params: readonly SqlValue[]): SqlRunResult {
    const stmt = this.prepare(sql);
    if (!stmt.readonly && !TRANSACTION_CONTROL.test(sql)) this.failIfFull(sql);
    this.options.onStatement?.(sql);
    const r = this.native(() => stmt.run(...bind(params)));
    return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
  }

  private control(sql: string): void {
    this.assertOpen();
    this.options.onStatement?.(sql);
    this.native(() => this.db.exec(sql));
  }

  private prepare(sql: string): Database.Statement {
    this.assertOpen();
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.native(() => this.db.prepare(sql));
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private assertOpen(): void {
    if (this.closed) throw new ParleyError(ErrorCode.CLOSED, 'the local database is closed');
  }

  private failIfFull(sql: string): void {
    if (this.options.failWrites?.(sql)) throw quotaError(`database or disk is full (simulated) at: ${sql.trim().slice(0, 60)}`);
  }

  /** Runs a better-sqlite3 call, renaming a real SQLITE_FULL the way the browser driver names it. */
  private native<R>(call: () => R): R {
    try {
      return call();
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && code.startsWith('SQLITE_FULL')) (err as Error).name = QUOTA_EXCEEDED;
      throw err;
    }
  }
}

const QUOTA_EXCEEDED = 'QuotaExceededError';

function quotaError(message: string): Error {
  const err = new Error(message) as Error & { code: string };
  err.name = QUOTA_EXCEEDED;
  err.code = 'SQLITE_FULL';
  return err;
}

/** better-sqlite3 binds blobs from Buffers only. */
function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}
