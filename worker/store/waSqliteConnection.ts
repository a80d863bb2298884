/**
 * One open wa-sqlite database, without a queue: every method assumes no other call on the same
 * module is running (waSqliteDriver serializes them). Statements are prepared once and reused.
 */
import * as SQLite from '@journeyapps/wa-sqlite';
import { SerialQueue } from './SerialQueue';
import type { SqlExecutor, SqlRunResult, SqlValue } from './SqlDriver';
import { sqliteError } from './sqliteErrors';

/** Prepared statements kept per connection; the store uses a few dozen distinct SQL strings. */
const STATEMENT_CACHE_SIZE = 64;

/** Thrown by {@link WaSqliteConnection.allReadOnly} for a statement that could write: run it elsewhere. */
export class NotReadOnlyError extends RangeError {
  override readonly name = 'NotReadOnlyError';
}

/** Primary result codes after which the connection is reopened (see `broken`). */
const IO_FAILURES = new Set<number>([SQLite.SQLITE_IOERR, SQLite.SQLITE_FULL, SQLite.SQLITE_CORRUPT, SQLite.SQLITE_NOTADB]);

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** Counts IndexedDB aborts caused by the storage quota, so an I/O error can be told apart. */
export interface QuotaMonitor {
  readonly quotaAborts: number;
}

/** The Emscripten module underneath: for the C functions the JS API does not wrap. */
export interface SqliteModule {
  ccall(name: string, ret: string, args: string[], values: unknown[]): unknown;
}

interface Executed {
  rows: Record<string, SqlValue>[];
  changes: number;
  lastInsertRowid: number;
}

export interface ConnectionOptions {
  /**
   * SQL run before each statement or transaction that may write: `PRAGMA write_hint` makes the
   * VFS queue this writer behind other writers before it takes its shared lock (no deadlock).
   */
  beforeWrite?: string;
}

export class WaSqliteConnection {
  readonly #sqlite3: SQLiteAPI;
  readonly #beforeWrite: string | null;
  readonly #db: number;
  readonly #module: SqliteModule;
  readonly #quota: QuotaMonitor;
  readonly #onClose: () => Promise<void> | void;
  /** SQL → prepared statement, least recently used first. */
  readonly #statements = new Map<string, number>();
  #closed = false;

  constructor(
    sqlite3: SQLiteAPI,
    module: SqliteModule,
    db: number,
    quota: QuotaMonitor,
    onClose: () => Promise<void> | void,
    options: ConnectionOptions = {},
  ) {
    this.#sqlite3 = sqlite3;
    this.#beforeWrite = options.beforeWrite ?? null;
    this.#module = module;
    this.#db = db;
    this.#quota = quota;
    this.#onClose = onClose;
    // Extended result codes (SQLITE_CONSTRAINT_UNIQUE, SQLITE_IOERR_FSYNC) instead of primary ones.
    module.ccall('sqlite3_extended_result_codes', 'number', ['number', 'number'], [db, 1]);
  }

  exec(sql: string): Promise<void> {
    return this.#guard(async () => {
      await this.#hintWrite();
      await this.#sqlite3.exec(this.#db, sql);
    });
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#guard(async () => (await this.#execute(sql, params, true)).rows as T[]);
  }

  /** {@link all} for a statement SQLite says cannot write; NotReadOnlyError (nothing ran) otherwise. */
  allReadOnly<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#guard(async () => (await this.#execute(sql, params, true, true)).rows as T[]);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    return this.#guard(async () => {
      await this.#hintWrite();
      const { changes, lastInsertRowid } = await this.#execute(sql, params, false);
      return { changes, lastInsertRowid };
    });
  }

  /**
   * BEGIN IMMEDIATE … COMMIT, or ROLLBACK when `fn` or COMMIT throws. The `tx` handle has its
   * own queue (fn may fire calls without awaiting each) and refuses calls once the transaction ended.
   */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    await this.run('BEGIN IMMEDIATE');
    const queue = new SerialQueue();
    let open = true;
    const inTx = <R>(job: () => Promise<R>): Promise<R> =>
      open ? queue.run(job) : Promise.reject(new Error('transaction already ended: use the tx handle only inside the callback'));
    const tx: SqlExecutor = {
      exec: (sql) => inTx(() => this.exec(sql)),
      all: (sql, params) => inTx(() => this.all(sql, params)),
      run: (sql, params) => inTx(() => this.run(sql, params)),
    };
    try {
      const result = await fn(tx);
      open = false;
      await queue.idle(); // calls fn started but did not await belong to this transaction
      await this.run('COMMIT');
      return result;
    } catch (e) {
      open = false;
      await queue.idle();
      // A failed COMMIT may already have rolled back (I/O error) or not (SQLITE_BUSY).
      if (!this.#closed && !this.#sqlite3.get_autocommit(this.#db)) await this.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  /**
   * True once a call failed in a way that may leave this connection's view of the database wrong:
   * an I/O error, a full disk, or an exception thrown by the VFS itself. After a failed IndexedDB
   * commit IDBMirrorVFS keeps the failed transaction's pages in memory, and IDBBatchAtomicVFS
   * refuses every later query ("query aborted"): the driver must reopen from IndexedDB.
   */
  get broken(): boolean {
    return this.#broken;
  }
  #broken = false;

  /** Best effort: a broken connection may fail to finalize or close, and the VFS is closed anyway. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stmt of this.#statements.values()) await this.#sqlite3.finalize(stmt).catch(() => {});
    this.#statements.clear();
    try {
      await this.#sqlite3.close(this.#db);
    } finally {
      await this.#onClose();
    }
  }

  /** Run `job`, turning wa-sqlite's and the VFS's failures into the driver's error (with quota detection). */
  async #guard<T>(job: () => Promise<T>): Promise<T> {
    if (this.#closed) throw sqliteError('database is closed', SQLite.SQLITE_MISUSE);
    const quotaBefore = this.#quota.quotaAborts;
    try {
      return await job();
    } catch (e) {
      if (e instanceof RangeError) throw e; // the caller's SQL or parameters, found before SQLite ran
      const code = (e as { code?: unknown }).code;
      // Not a SQLiteError: an exception escaped from the VFS (IDBBatchAtomicVFS.jUnlock rethrows
      // IndexedDB's "transaction aborted"), which is an I/O error as far as SQLite is concerned.
      const errno = typeof code === 'number' ? this.#extendedCode(code) : SQLite.SQLITE_IOERR;
      const err = sqliteError((e as Error).message, errno, this.#quota.quotaAborts > quotaBefore, e);
      if (IO_FAILURES.has(errno & 0xff)) this.#broken = true;
      throw err;
    }
  }

  /** The library reports the code sqlite3_step returned; prefer the connection's extended code. */
  #extendedCode(code: number): number {
    try {
      const ext = this.#module.ccall('sqlite3_extended_errcode', 'number', ['number'], [this.#db]) as number;
      return (ext & 0xff) === (code & 0xff) ? ext : code;
    } catch {
      return code;
    }
  }

  /** Only outside a transaction: inside one the connection holds its locks already. */
  async #hintWrite(): Promise<void> {
    if (this.#beforeWrite !== null && this.#sqlite3.get_autocommit(this.#db)) await this.#sqlite3.exec(this.#db, this.#beforeWrite);
  }

  async #execute(sql: string, params: readonly SqlValue[], wantRows: boolean, readOnly = false): Promise<Executed> {
    const sqlite3 = this.#sqlite3;
    const stmt = await this.#prepare(sql);
    if (readOnly && !this.#module.ccall('sqlite3_stmt_readonly', 'number', ['number'], [stmt])) {
      throw new NotReadOnlyError(`not a read-only statement: ${sql}`);
    }
    try {
      const expected = sqlite3.bind_parameter_count(stmt);
      if (params.length !== expected) throw new RangeError(`expected ${expected} SQL parameters, got ${params.length}: ${sql}`);
      if (expected > 0) sqlite3.bind_collection(stmt, params.map(bindable));
      const rows: Record<string, SqlValue>[] = [];
      let columns: string[] | null = null;
      while ((await sqlite3.step(stmt)) === SQLite.SQLITE_ROW) {
        if (!wantRows) continue;
        columns ??= sqlite3.column_names(stmt);
        const values = sqlite3.row(stmt);
        const row: Record<string, SqlValue> = {};
        for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i] as SqlValue;
        rows.push(row);
      }
      return wantRows
        ? { rows, changes: 0, lastInsertRowid: 0 }
        : { rows, changes: sqlite3.changes(this.#db), lastInsertRowid: Number(sqlite3.last_insert_id(this.#db)) };
    } finally {
      // Ends the statement's read of the database; after a failed step, reset repeats that error.
      await sqlite3.reset(stmt).catch(() => {});
    }
  }

  async #prepare(sql: string): Promise<number> {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) {
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    let stmt = 0;
    try {
      for await (const s of this.#sqlite3.statements(this.#db, sql, { unscoped: true })) {
        if (stmt) {
          await this.#sqlite3.finalize(s);
          throw new RangeError(`one SQL statement expected (use exec for several): ${sql}`);
        }
        stmt = s;
      }
    } catch (e) {
      if (stmt) await this.#sqlite3.finalize(stmt);
      throw e;
    }
    if (!stmt) throw new RangeError(`no SQL statement in: ${sql}`);
    this.#statements.set(sql, stmt);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const [oldSql, oldStmt] = this.#statements.entries().next().value as [string, number];
      this.#statements.delete(oldSql);
      await this.#sqlite3.finalize(oldStmt);
    }
    return stmt;
  }
}

/**
 * wa-sqlite binds a number that is not an int32 as a double, so 1_700_000_000_000 would become
 * the REAL 1.7e12 (and the text '1700000000000.0' in a TEXT column): bind such integers as int64.
 */
function bindable(v: SqlValue | undefined): SqlValue | bigint {
  if (v === undefined) return null;
  if (typeof v === 'number' && Number.isInteger(v) && (v > INT32_MAX || v < INT32_MIN)) return BigInt(v);
  return v;
}
