/**
 * Retention of the push stream: events older than the horizon are pruned, a batch per write so
 * requests keep their turn, on a timer off the request path. Conversations, messages and receipts
 * are kept (history is the product); only the stream's record of each change goes. A device whose
 * cursor falls below what was pruned is told at its next auth to rebuild from the head (see
 * `Store.prunedAfter`), and a socket still replaying across the pruned range is closed for that.
 */
import type { Store } from './Store';

export interface RetentionOptions {
  store: Pick<Store, 'prune'>;
  /** Events older than this are pruned (ms). */
  maxAgeMs: number;
  /** How often to look (ms). */
  intervalMs: number;
  /** Events deleted per write: one write holds the writer this long, so keep it small. */
  batch: number;
  now: () => number;
  /** The stream was pruned up to `horizon` (called once per run that pruned anything). */
  pruned: (horizon: number) => void;
  log: (line: string) => void;
}

export class Retention {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly opts: RetentionOptions) {
    if (opts.batch < 1) throw new RangeError('retention batch must be at least 1');
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run().catch((err: unknown) => this.opts.log(`retention: prune failed: ${String(err)}`)), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Prune everything past the horizon now; resolves with how many events went. One run at a time. */
  run(): Promise<number> {
    this.running ??= this.pruneAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private async pruneAll(): Promise<number> {
    const before = this.opts.now() - this.opts.maxAgeMs;
    let total = 0;
    let horizon = 0;
    for (;;) {
      const r = await this.opts.store.prune(before, this.opts.batch);
      total += r.pruned;
      horizon = r.horizon;
      if (r.pruned < this.opts.batch) break;
    }
    if (total > 0) {
      this.opts.log(`retention: pruned ${total} push events older than ${new Date(before).toISOString()} (stream pruned through cursor ${horizon})`);
      this.opts.pruned(horizon);
    }
    return total;
  }
}
