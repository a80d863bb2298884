/**
 * Group commit: many small writes share one transaction, so a burst of pushes, sends and receipts
 * costs one COMMIT (one IndexedDB flush in the browser) instead of one each.
 *
 * A write submitted while no transaction runs starts one at once; writes submitted while one runs
 * wait and then all go together in the next. Each write runs inside its own SAVEPOINT, so one that
 * throws undoes only itself. A write's promise settles only after its transaction committed: a
 * resolved write is durable, a rejected one left nothing behind.
 */
import { ErrorCode, ParleyError } from '../../schema';
import type { SqlDriver, SqlExecutor } from './SqlDriver';

/** A write: its statements go through `tx` only (never the driver, never another submit). */
export type WriteOp<T> = (tx: SqlExecutor) => Promise<T>;

export interface GroupCommitOptions {
  /** Most writes in one transaction; the rest wait for the next, so a flood cannot build a giant one. Default 500. */
  maxBatch?: number;
}

interface Entry {
  op: WriteOp<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const DEFAULT_MAX_BATCH = 500;

export class GroupCommit {
  private readonly maxBatch: number;
  private queue: Entry[] = [];
  private running = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  /** @throws RangeError when maxBatch is not a positive integer. */
  constructor(
    private readonly driver: SqlDriver,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new RangeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
    }
  }

  /**
   * Runs `op` in the next transaction and resolves with its result once that transaction committed.
   * Rejects with the op's own error (a storage-full error from one of its statements becomes a
   * ParleyError STORAGE_FULL); when the COMMIT itself fails, every op of the batch rejects with
   * STORAGE_FULL (quota) or INTERNAL, and none of their writes remain. CLOSED after {@link close}.
   */
  submit<T>(op: WriteOp<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ParleyError(ErrorCode.CLOSED, 'the local store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      this.pump();
    });
  }

  /** Refuses new writes, then resolves once every write already submitted has settled. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.running) return;
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    this.running = true;
    void this.runBatch().finally(() => {
      this.running = false;
      this.pump();
    });
  }

  private async runBatch(): Promise<void> {
    // The batch is taken when BEGIN has run, not before: writes submitted while the driver was
    // still busy (a read, the previous COMMIT) join this transaction instead of waiting for another.
    const taken: { batch: Entry[] | null } = { batch: null };
    const outcomes: Outcome[] = [];
    try {
      await this.driver.transaction(async (tx) => {
        const batch = (taken.batch = this.queue.splice(0, this.maxBatch));
        for (const entry of batch) outcomes.push(await runInSavepoint(tx, entry.op));
      });
    } catch (err) {
      // BEGIN or COMMIT failed (or a savepoint could not be undone): nothing of the batch stayed.
      const batch = taken.batch ?? this.queue.splice(0, this.maxBatch);
      const failure = batchError(err);
      for (const entry of batch) entry.reject(failure);
      return;
    }
    taken.batch!.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) entry.resolve(outcome.value);
      else entry.reject(outcome.error);
    });
  }
}

async function runInSavepoint(tx: SqlExecutor, op: WriteOp<unknown>): Promise<Outcome> {
  await tx.exec('SAVEPOINT group_op');
  try {
    const value = await op(tx);
    await tx.exec('RELEASE group_op');
    return { ok: true, value };
  } catch (error) {
    try {
      await tx.exec('ROLLBACK TO group_op');
      await tx.exec('RELEASE group_op');
    } catch {
      // SQLite already rolled the whole transaction back (it does on some errors, SQLITE_FULL
      // among them): the batch is lost, so fail it with the cause.
      throw error;
    }
    return { ok: false, error: isStorageFull(error) ? storageFull(error) : error };
  }
}

/**
 * Whether `err` is (a structured-clone copy of) the drivers' storage-full error: named
 * 'QuotaExceededError' (both drivers name SQLITE_FULL and IndexedDB quota aborts so), or a raw
 * better-sqlite3 SqliteError whose code is SQLITE_FULL.
 */
export function isStorageFull(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === 'QuotaExceededError' || (typeof e.code === 'string' && e.code.startsWith('SQLITE_FULL'));
}

function storageFull(cause: unknown): ParleyError {
  return new ParleyError(ErrorCode.STORAGE_FULL, 'local storage is full: the change was not saved', { cause });
}

function batchError(err: unknown): ParleyError {
  if (ParleyError.is(err)) return err;
  if (isStorageFull(err)) return storageFull(err);
  const message = err instanceof Error ? err.message : String(err);
  return new ParleyError(ErrorCode.INTERNAL, `local database write failed: ${message}`, { cause: err });
}
