/**
 * One socket's push stream: at-least-once delivery of the user's events after a cursor. Events are
 * sent in cursor order with at most `window` unacked; the client acks cumulatively. Without ack
 * progress for `resendMs` everything unacked is sent again from the database; after `resendLimit`
 * such rounds the socket is given up on (the client will reconnect and replay from its cursor).
 */
import { eventKnownTo, type PushEvent } from '../../schema';
import type { Identity } from '../auth/tokens';
import type { Subscriber } from '../fanout/Hub';
import type { RecentEvents } from '../fanout/RecentEvents';
import type { ServerMetrics } from '../metrics';
import type { EventOrigin, Store } from '../store/Store';

/** A push as the delivery hands it to its socket. */
export type PushOut = { t: 'push'; cursor: number; prev: number; event: PushEvent };

export interface DeliveryDeps {
  store: Store;
  /** Recent events in memory; the backlog is read from the store where they do not cover it. */
  recent: RecentEvents | null;
  identity: Identity;
  deviceId: string;
  send: (frame: PushOut) => void;
  /**
   * The client settles its own sends from their answers (protocol 3): events its device's sends
   * appended are passed over, not pushed. Older clients are pushed everything.
   */
  skipOwnSends: boolean;
  /** The client's protocol version: events of kinds it does not know are passed over, like own sends. */
  version: number;
  metrics: ServerMetrics;
  now: () => number;
  window: number;
  resendMs: number;
  resendLimit: number;
}

/** How long after a failed backlog read the next one is tried. */
const READ_RETRY_MS = 500;

export class Delivery implements Subscriber {
  private acked: number;
  /** Highest cursor this socket has passed: sent, or passed over as the device's own send. */
  private sent: number;
  /**
   * Highest cursor actually pushed (or the start): the next push's `prev`. Own sends passed over
   * are not in the chain, so the client sees no hole where they were, live or on a replay.
   */
  private pushed: number;
  /** Cursors sent and not yet acked, ascending. */
  private inflight: number[] = [];
  private pumping = false;
  /** Events may exist in the database past `sent` that were not sent live. */
  private backlog = true;
  private lastProgressAt: number;
  private resendRounds = 0;
  /** A backlog read failed (the database did not answer): tick() reads again from this time. */
  private retryReadAt: number | null = null;

  constructor(
    private readonly deps: DeliveryDeps,
    startCursor: number,
  ) {
    this.acked = startCursor;
    this.sent = startCursor;
    this.pushed = startCursor;
    this.lastProgressAt = deps.now();
  }

  /**
   * Where this socket reads the store from next: the last ack while pushes are unacked (a resend
   * goes back there), else past everything it sent or passed over.
   */
  get readsFrom(): number {
    return this.inflight.length > 0 ? this.acked : this.sent;
  }

  start(): void {
    void this.pump();
  }

  notify(cursor: number, event: PushEvent, origin?: EventOrigin): void {
    if (cursor <= this.sent) return;
    if (!this.pumping && !this.backlog && this.inflight.length < this.deps.window) {
      this.emit(cursor, event, origin);
      return;
    }
    this.backlog = true;
    void this.pump();
  }

  /** An event was committed and not announced (its publish failed): what follows is read from the database. */
  missed(): void {
    this.backlog = true;
    void this.pump();
  }

  ack(cursor: number): void {
    if (cursor <= this.acked) return;
    this.acked = cursor;
    // A client may ack past what this socket sent (it caught up through `sync`): skip ahead.
    if (cursor > this.sent) this.sent = cursor;
    if (cursor > this.pushed) this.pushed = cursor;
    while (this.inflight.length && this.inflight[0]! <= cursor) this.inflight.shift();
    this.lastProgressAt = this.deps.now();
    this.resendRounds = 0;
    // A fallback record only (the device names its own cursor): a failed write costs nothing.
    this.deps.store.setDeviceCursor(this.deps.identity.userId, this.deps.deviceId, cursor).catch(() => {});
    if (this.backlog) void this.pump();
  }

  /** Called periodically. Returns false when the socket should be given up on. */
  tick(now: number): boolean {
    if (this.retryReadAt !== null && now >= this.retryReadAt) {
      this.retryReadAt = null;
      void this.pump();
    }
    if (this.inflight.length === 0 || now - this.lastProgressAt < this.deps.resendMs) return true;
    if (++this.resendRounds > this.deps.resendLimit) return false;
    this.deps.metrics.pushesResent.inc(this.inflight.length);
    this.sent = this.acked;
    this.pushed = this.acked;
    this.inflight = [];
    this.backlog = true;
    this.lastProgressAt = now;
    void this.pump();
    return true;
  }

  private emit(cursor: number, event: PushEvent, origin?: EventOrigin): void {
    if (this.isOwnSend(origin) || !eventKnownTo(this.deps.version, event.kind)) {
      this.sent = cursor;
      return;
    }
    // The resend clock starts when the oldest unacked push goes out, not at the last ack.
    if (this.inflight.length === 0) this.lastProgressAt = this.deps.now();
    const prev = this.pushed;
    this.sent = cursor;
    this.pushed = cursor;
    this.inflight.push(cursor);
    this.deps.send({ t: 'push', cursor, prev, event });
    this.deps.metrics.pushesSent.inc();
  }

  /**
   * An event this device's own send appended, to a client that settles it from the answer. Safe to
   * pass over: until that answer is stored, the message is still in the device's outbox, and a
   * resend is answered with the same seq.
   */
  private isOwnSend(origin: EventOrigin | undefined): boolean {
    return this.deps.skipOwnSends && origin !== undefined && origin.userId === this.deps.identity.userId && origin.deviceId === this.deps.deviceId;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.backlog) {
        const room = this.deps.window - this.inflight.length;
        if (room <= 0) return; // an ack will resume us
        this.backlog = false;
        const from = this.sent;
        const { events, hasMore } =
          this.deps.recent?.after(this.deps.identity.userId, from, room) ?? (await this.deps.store.eventsAfter(this.deps.identity, from, room));
        // A resend round may have rewound `sent` while we waited; that read is stale.
        if (this.sent !== from) {
          this.backlog = true;
          continue;
        }
        for (const e of events) this.emit(e.cursor, e.event, e.origin);
        if (hasMore) this.backlog = true;
      }
    } catch {
      // The database did not answer (a restart, a lost connection): what was to be read stays in
      // the backlog, read again at the next tick after READ_RETRY_MS. The socket stays up.
      this.backlog = true;
      this.retryReadAt = this.deps.now() + READ_RETRY_MS;
    } finally {
      this.pumping = false;
    }
  }
}
