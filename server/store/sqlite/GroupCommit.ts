/**
 * Group commit: writes that arrive while the event loop is busy share one transaction, so one
 * fsync (synchronous=FULL) makes all of them durable. Each write runs in a savepoint of its own
 * (better-sqlite3 turns a transaction inside a transaction into one), so one that throws is rolled
 * back alone and the others commit. A write's promise settles only after the commit: a caller that
 * answers the client then never acks something a power loss could take back.
 *
 * The batch is flushed on the next turn of the event loop (setImmediate): requests decoded in the
 * same turn, the usual case under load, join it; a lone write waits one turn, not a timer.
 */
import type Database from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What the owner hears of each group: committed, or rolled back whole. Called before any promise settles. */
export interface CommitHooks {
  /** `writes`: how many writes the group carried. */
  committed(writes: number): void;
  aborted(): void;
}

/** Most writes in one transaction: bounds how long one commit holds the event loop. */
const MAX_BATCH = 512;

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Commits made and writes they carried, for the metrics and the bench. */
  commits = 0;
  writes = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly hooks: CommitHooks = { committed: () => {}, aborted: () => {} },
  ) {}

  /** Run `work` (synchronous SQL) in the next group transaction; resolves with its result once committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit everything queued now (also what close() calls, so nothing queued is dropped). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.commit(batch);
    }
  }

  private commit(batch: Pending[]): void {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const p of batch) {
            try {
              outcomes.push({ ok: true, value: this.db.transaction(p.work)() });
            } catch (err) {
              outcomes.push({ ok: false, err });
            }
          }
        })
        .immediate();
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      this.hooks.aborted();
      for (const p of batch) p.reject(err);
      return;
    }
    this.hooks.committed(batch.length);
    this.commits++;
    this.writes += batch.length;
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.err);
    });
  }
}
