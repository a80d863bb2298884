/**
 * The server's limits per owner, shared by every connection and HTTP route: frames and messages per
 * user, auth attempts and unauthenticated sockets per IP (loopback exempt),
 * uploads per user. A flood is counted in refused frames per owner: one that keeps being refused
 * after its bucket refills is closed, and so is its next socket, until it calms down.
 */
import type { ServerConfig } from '../config';
import { KeyedLimiter } from './KeyedLimiter';

/**
 * Refused frames an owner may run up: a burst of this many, refilled at PATIENCE_PER_S. A client
 * that backs off on RATE_LIMITED never gets near it; a steady flood empties it in seconds.
 */
const PATIENCE = 200;
const PATIENCE_PER_S = 10;

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/**
 * Per-IP limits skip loopback: every client of a local reverse proxy comes from it, and would share
 * one bucket (such a proxy should pass client addresses: trustProxy).
 */
export const isLoopback = (ip: string): boolean => LOOPBACK.has(ip);

export class Limits {
  /** Frames per user id (acks exempt). */
  readonly frames: KeyedLimiter;
  /** Messages stored per user (a sendBatch counts each). */
  readonly messages: KeyedLimiter;
  private readonly auths: KeyedLimiter;
  /** Uploads per user. */
  readonly uploads: KeyedLimiter;
  private readonly patience: KeyedLimiter;
  private readonly pending = new Map<string, number>();
  private pendingTotal = 0;

  constructor(
    private readonly config: ServerConfig,
    /** Told the number of sockets waiting to authenticate whenever it changes (a metric). */
    private readonly pendingGauge: { set(n: number): void } = { set: () => {} },
  ) {
    const now = config.now;
    this.frames = new KeyedLimiter(config.rateLimit, now);
    this.messages = new KeyedLimiter(config.messageRate, now);
    this.auths = new KeyedLimiter(config.authRate, now);
    this.uploads = new KeyedLimiter(config.uploadRate, now);
    this.patience = new KeyedLimiter({ perSecond: PATIENCE_PER_S, burst: PATIENCE }, now);
  }

  /**
   * Count a refused frame against `owner`; false when it has flooded past its patience (then each
   * of its sockets is closed at its next refusal until the patience refills).
   */
  refused(owner: string): boolean {
    return this.patience.take(owner);
  }

  /** A socket from `ip` is waiting to authenticate: false (not counted) when that IP has too many. */
  admit(ip: string): boolean {
    const n = this.pending.get(ip) ?? 0;
    if (n >= this.config.maxUnauthenticatedPerIp && !isLoopback(ip)) return false;
    this.pending.set(ip, n + 1);
    this.pendingGauge.set(++this.pendingTotal);
    return true;
  }

  /** An auth frame from `ip`: false when that IP has tried too often. */
  allowAuth(ip: string): boolean {
    return isLoopback(ip) || this.auths.take(ip);
  }

  /** That socket authenticated or closed. */
  release(ip: string): void {
    const held = this.pending.get(ip);
    if (held === undefined) return;
    if (held <= 1) this.pending.delete(ip);
    else this.pending.set(ip, held - 1);
    this.pendingGauge.set(--this.pendingTotal);
  }

  /** Periodically: forget buckets that have refilled. */
  sweep(): void {
    for (const l of [this.frames, this.messages, this.auths, this.uploads, this.patience]) l.sweep();
  }
}
