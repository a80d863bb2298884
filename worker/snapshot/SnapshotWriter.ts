/**
 * Keeps the cold-open snapshot: the latest page of each recently viewed conversation, saved where
 * a tab can read it before the engine is up (snapshotDb.ts).
 *
 * It must never show a message the database does not hold. Pages come only from the database
 * (the rows `LocalStore.latest` read, so committed ones), and every statement that can remove a
 * message runs only after {@link beforeRemoval} has durably deleted the user's snapshot (see
 * guardRemovals.ts). Writes cannot put an older page back:
 * - a page carries the token it was read under, and is saved only if the token is still current;
 *   the local generation moves at the start and at the end of each removal here, and the stored
 *   counter (the epoch) with each removal by any engine of this user (two builds' workers can run
 *   side by side on one database), checked in the put's own transaction;
 * - no put is issued while a removal is under way here;
 * - the snapshot is deleted again when a removal ends, which takes out any page another engine
 *   read while the removal ran (before it committed);
 * - puts and deletes go through one IndexedDB object store, whose transactions run in the order
 *   they were created, so a put issued before a removal's delete is deleted by it.
 * A crash between the delete and the removal's commit leaves no snapshot (slower, never wrong).
 */
import type { Timers, TimerId } from '../platform';
import type { LocalMessage } from '../store/types';
import { SNAPSHOT_FORMAT, SNAPSHOT_MAX_ROWS, type SnapshotRecord } from './snapshotDb';

/** Where the records go: snapshotDb.ts in the browser, a fake in unit tests. */
export interface SnapshotStorage {
  /** The user's removal counter. */
  epoch(user: string): Promise<number>;
  /** Stores the record unless the counter moved from `epoch`: then stores nothing and returns the counter. */
  put(record: SnapshotRecord, epoch: number): Promise<number | null>;
  /** Deletes the user's records and raises the counter; durable once resolved, with the new counter. */
  remove(user: string): Promise<number>;
}

/** What a read was made under: pass it back with the rows. */
export interface ReadToken {
  generation: number;
  epoch: number | null;
}

/** Pages read within this window are saved together, once each (the newest read wins). */
export const SNAPSHOT_SAVE_DELAY_MS = 200;
/** Most conversations waiting to be saved (more are dropped: a later read brings them back). */
const MAX_WAITING = 32;

interface Waiting {
  rows: LocalMessage[];
  token: ReadToken;
}

export class SnapshotWriter {
  private generation = 0;
  /** The stored counter as last seen; null until read (pages read before are not saved). */
  private epoch: number | null = null;
  private removals = 0;
  private readonly waiting = new Map<string, Waiting>();
  private timer: TimerId | null = null;
  private closed = false;

  constructor(
    private readonly user: string,
    private readonly storage: SnapshotStorage,
    private readonly timers: Timers,
    private readonly now: () => number,
  ) {
    storage.epoch(user).then(
      (e) => this.learn(e),
      () => {},
    );
  }

  /** Take before reading rows to pass to {@link saw}. */
  token(): ReadToken {
    return { generation: this.generation, epoch: this.epoch };
  }

  /**
   * `rows` (ascending) were read from the database for `conversationId` under `token`. Saved
   * within SNAPSHOT_SAVE_DELAY_MS unless a removal intervenes.
   */
  saw(conversationId: string, rows: readonly LocalMessage[], token: ReadToken): void {
    if (this.closed || token.generation !== this.generation || token.epoch === null) return;
    if (!this.waiting.has(conversationId) && this.waiting.size >= MAX_WAITING) return;
    this.waiting.delete(conversationId);
    this.waiting.set(conversationId, { rows: rows.slice(-SNAPSHOT_MAX_ROWS), token });
    this.timer ??= this.timers.setTimeout(() => this.flush(), SNAPSHOT_SAVE_DELAY_MS);
  }

  /**
   * A statement that may remove messages is about to run: pages read before it are not saved,
   * and the user's snapshot is durably deleted before this resolves (if that fails, so does this,
   * and the statement does not run). Pair with {@link afterRemoval}.
   */
  async beforeRemoval(): Promise<void> {
    this.generation++;
    this.removals++;
    this.waiting.clear();
    this.learn(await this.storage.remove(this.user));
  }

  /** The removal committed or rolled back: pages read while it ran may hold what it removed. */
  async afterRemoval(): Promise<void> {
    this.generation++;
    try {
      this.learn(await this.storage.remove(this.user));
    } catch {
      // The delete before the removal succeeded; this one only guards against another engine's
      // put racing the removal, and the put's epoch check catches most of those.
    } finally {
      this.removals--;
    }
  }

  /** Issues the puts of what waits (a put issued here runs before any later removal's delete). */
  flush(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.removals > 0) {
      // Read before or during the removal: dropped. Pages read after it come with the next reads.
      this.waiting.clear();
      return;
    }
    for (const [conversationId, w] of this.waiting) {
      if (w.token.generation !== this.generation || w.token.epoch === null) continue;
      const record: SnapshotRecord = { v: SNAPSHOT_FORMAT, user: this.user, conversationId, savedAt: this.now(), messages: w.rows };
      this.storage.put(record, w.token.epoch).then(
        (moved) => moved !== null && this.learn(moved),
        () => {
          // A cache: a failed put leaves the previous page, which the same rules kept true.
        },
      );
    }
    this.waiting.clear();
  }

  /** Stops saving (what waits is dropped: the worker is going away). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.waiting.clear();
  }

  /** A newer stored counter: pages read under an older one are not saved. */
  private learn(epoch: number): void {
    if (this.epoch !== null && epoch <= this.epoch) return;
    if (this.epoch !== null) this.generation++;
    this.epoch = epoch;
  }
}
