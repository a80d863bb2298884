/**
 * One token bucket per key (a user, an IP), so a limit follows its owner across connections: a
 * reconnect does not grant a fresh burst. Buckets are kept in a bounded map; a bucket that has
 * refilled completely is the same as a new one and is dropped by `sweep`, and past `maxKeys` the
 * longest-idle bucket goes first (its owner gets a fresh burst, the worst a full map can cause).
 */
import { RateLimiter } from './RateLimiter';

export interface Rate {
  perSecond: number;
  burst: number;
}

export class KeyedLimiter {
  private readonly buckets = new Map<string, RateLimiter>();

  constructor(
    private readonly rate: Rate,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Take `n` tokens from `key`'s bucket; false, taking none, when fewer are left. */
  take(key: string, n = 1): boolean {
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Most recently used last, so the map's first entry is the longest idle.
      this.buckets.delete(key);
    } else {
      if (this.buckets.size >= this.maxKeys) this.evict();
      bucket = new RateLimiter(this.rate.perSecond, this.rate.burst, this.now);
    }
    this.buckets.set(key, bucket);
    return bucket.take(n);
  }

  /** Drop full buckets (periodically): they hold nothing a new one would not. */
  sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(): void {
    this.sweep();
    if (this.buckets.size < this.maxKeys) return;
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}
