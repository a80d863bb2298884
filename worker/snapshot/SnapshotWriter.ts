/**
 * Keeps the cold-open snapshot: the latest page of each recently viewed conversation, saved where
 * a tab can read it before the engine is up (snapshotDb.ts).
 *
 * It must never show a message the database does not hold. Pages come only from the database
 * (the rows `LocalStore.latest` read, so committed ones), and every statement that can remove a
 * message runs only after {@link beforeRemoval} has durably deleted the user's snapshot (see
 * guardRemovals.ts). Writes cannot put an older page back:
 * - the generation moves at the start and at the end of each removal, and a page is saved only if
 *   the generation it was read under is still current when its put is issued;
 * - no put is issued while a removal is under way;
 * - puts and the delete go through one IndexedDB object store, whose transactions run in the order
 *   they were created, so a put issued before a removal's delete is deleted by it.
 * A crash between the delete and the removal's commit leaves no snapshot (slower, never wrong).
 */
import type { Timers, TimerId } from '../platform';
import type { LocalMessage } from '../store/types';
import { SNAPSHOT_FORMAT, SNAPSHOT_MAX_ROWS, type SnapshotRecord } from './snapshotDb';

/** Where the records go: snapshotDb.ts in the browser, a fake in unit tests. */
export interface SnapshotStorage {
  put(record: SnapshotRecord): Promise<void>;
  /** Durable once resolved. */
  deleteUser(user: string): Promise<void>;
}

/** Pages read within this window are saved together, once each (the newest read wins). */
export const SNAPSHOT_SAVE_DELAY_MS = 200;
/** Most conversations waiting to be saved (more are dropped: a later read brings them back). */
const MAX_WAITING = 32;

interface Waiting {
  rows: LocalMessage[];
  generation: number;
}

export class SnapshotWriter {
  private generation = 0;
  private removals = 0;
  private readonly waiting = new Map<string, Waiting>();
  private timer: TimerId | null = null;
  private closed = false;

  constructor(
    private readonly user: string,
    private readonly storage: SnapshotStorage,
    private readonly timers: Timers,
    private readonly now: () => number,
  ) {}

  /** The generation to pass to {@link saw} with rows about to be read. */
  get current(): number {
    return this.generation;
  }

  /**
   * `rows` (ascending) were read from the database for `conversationId`, having asked for the
   * generation before the read. Saved within SNAPSHOT_SAVE_DELAY_MS unless a removal intervenes.
   */
  saw(conversationId: string, rows: readonly LocalMessage[], readAt: number): void {
    if (this.closed || readAt !== this.generation) return;
    if (!this.waiting.has(conversationId) && this.waiting.size >= MAX_WAITING) return;
    this.waiting.delete(conversationId);
    this.waiting.set(conversationId, { rows: rows.slice(-SNAPSHOT_MAX_ROWS), generation: readAt });
    this.timer ??= this.timers.setTimeout(() => this.flush(), SNAPSHOT_SAVE_DELAY_MS);
  }

  /**
   * A statement that may remove messages is about to run: pages read before it are not saved,
   * and the user's snapshot is durably deleted before this resolves. Pair with {@link afterRemoval}.
   */
  async beforeRemoval(): Promise<void> {
    this.generation++;
    this.removals++;
    this.waiting.clear();
    await this.storage.deleteUser(this.user);
  }

  /** The removal committed or rolled back: pages read while it ran may hold what it removed. */
  afterRemoval(): void {
    this.generation++;
    this.removals--;
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
      if (w.generation !== this.generation) continue;
      const record: SnapshotRecord = { v: SNAPSHOT_FORMAT, user: this.user, conversationId, savedAt: this.now(), messages: w.rows };
      this.storage.put(record).catch(() => {
        // A cache: a failed put leaves the previous page, which the same rules kept true.
      });
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
}
