/**
 * The whole push stream, in cursor order with no gaps, on every node: what the node's fan-out hangs
 * off when several nodes write one database. Events come from three places:
 * - this node's commits (`local`), delivered before the write that made them settles;
 * - other nodes' commits, published on the broker (`remote`), which may arrive late, out of order,
 *   twice, or never;
 * - the database itself (`fill`): cursors are committed in order with no holes (the stream counter's
 *   lock), so an event at N means every cursor below N is committed and can be read.
 *
 * An event above the next expected cursor waits `gapWaitMs` for the missing ones to arrive (the
 * usual case: two nodes published at once), then the gap is read from the database. A position
 * check every `checkMs` reads the counter and fills whatever never arrived: a node that died between
 * its commit and its publish, a broker that was down. Events at or below the last delivered are
 * dropped, so every cursor is delivered exactly once, in order.
 */
import type { CommittedEvent } from '../store/Store';

export interface StreamSource {
  /** The highest cursor committed. */
  head(): Promise<number>;
  /** Committed events with cursors in (after, upTo], ascending, at most `limit`. */
  between(after: number, upTo: number, limit: number): Promise<CommittedEvent[]>;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface StreamFeedOptions {
  source: StreamSource;
  /** How long an event past a gap waits for the gap to close before it is read from the database. */
  gapWaitMs?: number;
  /** How often the counter is checked for events that were never published. */
  checkMs?: number;
  /** Most events held past a gap; beyond it they are dropped and read from the database instead. */
  maxHeld?: number;
  timers?: Timers;
  log?: (message: string) => void;
}

const FILL_PAGE = 1000;

const nodeTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class StreamFeed {
  /** The last cursor delivered; every one at or below it was delivered once. */
  private delivered = 0;
  /** Events past a gap, by cursor. */
  private readonly held = new Map<number, CommittedEvent>();
  private readonly listeners: ((events: readonly CommittedEvent[]) => void)[] = [];
  /** Everything that reads or delivers runs on this chain, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private gapTimer: unknown = null;
  private checkTimer: unknown = null;
  private stopped = false;
  /** Events read from the database to fill gaps (the metrics, and tests, read it). */
  filled = 0;
  private readonly gapWaitMs: number;
  private readonly checkMs: number;
  private readonly maxHeld: number;
  private readonly timers: Timers;
  private readonly log: (message: string) => void;

  constructor(private readonly opts: StreamFeedOptions) {
    this.gapWaitMs = opts.gapWaitMs ?? 20;
    this.checkMs = opts.checkMs ?? 1000;
    this.maxHeld = opts.maxHeld ?? 10_000;
    this.timers = opts.timers ?? nodeTimers;
    this.log = opts.log ?? (() => {});
  }

  /** Start at the stream's head (what was committed before is not pushed live) and begin checking. */
  async start(): Promise<void> {
    this.delivered = await this.opts.source.head();
    this.scheduleCheck();
  }

  stop(): void {
    this.stopped = true;
    if (this.gapTimer !== null) this.timers.clearTimeout(this.gapTimer);
    if (this.checkTimer !== null) this.timers.clearTimeout(this.checkTimer);
  }

  onEvents(listener: (events: readonly CommittedEvent[]) => void): void {
    this.listeners.push(listener);
  }

  /** The last cursor delivered. */
  get position(): number {
    return this.delivered;
  }

  /**
   * This node committed these: every cursor below them is committed too, so a gap before them is
   * read at once. Resolves once they (and everything before) are delivered, or the read failed (the
   * position check delivers them then); never rejects.
   */
  local(events: readonly CommittedEvent[]): Promise<void> {
    return this.run(async () => {
      this.hold(events);
      const last = events.at(-1)?.cursor ?? 0;
      if (last > this.delivered) await this.fillTo(last);
      this.release();
    });
  }

  /** Another node committed these (as its broker message said). */
  remote(events: readonly CommittedEvent[]): void {
    void this.run(async () => {
      this.hold(events);
      this.release();
    });
  }

  /** Read the counter and deliver whatever was committed and not yet heard of. */
  check(): Promise<void> {
    return this.run(async () => {
      const head = await this.opts.source.head();
      if (head > this.delivered) await this.fillTo(head);
      this.release();
    });
  }

  /**
   * Queue `work` on the chain. It never rejects: a read that failed (the database restarting) is
   * logged, what it was to deliver stays held or unread, and the next event or position check
   * delivers it.
   */
  private run(work: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(work).catch((err: unknown) => this.log(`stream feed: ${String(err)}`));
    return this.chain;
  }

  private hold(events: readonly CommittedEvent[]): void {
    for (const e of events) if (e.cursor > this.delivered) this.held.set(e.cursor, e);
    if (this.held.size > this.maxHeld) {
      // Far behind: what is held will be read again from the database, in order.
      this.held.clear();
      void this.check();
    }
  }

  /** Deliver the held events that follow the last delivered without a gap; wait a little for any gap. */
  private release(): void {
    const run: CommittedEvent[] = [];
    for (let next = this.delivered + 1; this.held.has(next); next++) {
      run.push(this.held.get(next)!);
      this.held.delete(next);
    }
    this.deliver(run);
    if (this.held.size > 0) this.armGapTimer(this.gapWaitMs);
  }

  private armGapTimer(ms: number): void {
    if (this.gapTimer !== null || this.stopped) return;
    this.gapTimer = this.timers.setTimeout(() => {
      this.gapTimer = null;
      void this.run(async () => {
        if (this.held.size === 0) return;
        const highest = Math.max(this.delivered, ...this.held.keys());
        await this.fillTo(highest);
        this.release();
      });
    }, ms);
  }

  /** Read (delivered, upTo] from the database, delivering as it goes; held events in range are replaced by what was read. */
  private async fillTo(upTo: number): Promise<void> {
    while (this.delivered < upTo) {
      // Only the stretch before the next held event needs reading.
      let stop = this.delivered + 1;
      while (stop <= upTo && !this.held.has(stop)) stop++;
      if (stop === this.delivered + 1) {
        this.release();
        continue;
      }
      const read = await this.opts.source.between(this.delivered, Math.min(stop - 1, this.delivered + FILL_PAGE), FILL_PAGE);
      if (read.length === 0) {
        // The counter said these were committed; nothing there means they were pruned. Skip them.
        this.log(`stream feed: cursors ${this.delivered + 1}..${stop - 1} are gone from the database`);
        this.delivered = stop - 1;
        continue;
      }
      this.filled += read.length;
      this.deliver(read.filter((e) => e.cursor > this.delivered));
    }
  }

  private deliver(events: readonly CommittedEvent[]): void {
    if (events.length === 0) return;
    this.delivered = events.at(-1)!.cursor;
    for (const l of this.listeners) l(events);
  }

  private scheduleCheck(): void {
    if (this.stopped) return;
    this.checkTimer = this.timers.setTimeout(() => {
      void this.check().finally(() => this.scheduleCheck());
    }, this.checkMs);
  }
}
