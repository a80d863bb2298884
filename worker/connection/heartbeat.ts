/**
 * Finds a dead link the socket will not report. A half-open TCP connection (a NAT forgot the mapping,
 * the laptop slept, the server host vanished) never fires onclose, so the only evidence is silence
 * after a ping. Written against a tiny peer interface so tests can drop pongs or add lag.
 */
import type { Clock, TimerId, Timers } from '../platform';

/** What the heartbeat drives. The Connection implements it over its socket. */
export interface HeartbeatPeer {
  /** Send one ping to the server. Must not throw. */
  ping(): void;
  /** Nothing arrived within timeoutMs of a ping: the link is dead. Called at most once per start(). */
  dead(): void;
}

export interface HeartbeatOptions {
  /** Time between pings, in ms. */
  intervalMs: number;
  /** How long after a ping some inbound frame must arrive, in ms. */
  timeoutMs: number;
}

export class Heartbeat {
  private pingTimer: TimerId | undefined;
  private deadlineTimer: TimerId | undefined;
  /** When the oldest ping not yet followed by any inbound frame was sent; undefined when all is answered. */
  private unansweredSince: number | undefined;

  constructor(
    private readonly peer: HeartbeatPeer,
    private readonly platform: { timers: Timers; clock: Clock },
    private readonly options: HeartbeatOptions,
  ) {}

  /** Start (or restart) pinging; the first ping goes out after intervalMs. */
  start(): void {
    this.stop();
    this.schedulePing();
  }

  /** Stop pinging and cancel every timer. Safe to call when stopped. */
  stop(): void {
    const { timers } = this.platform;
    if (this.pingTimer !== undefined) timers.clearTimeout(this.pingTimer);
    if (this.deadlineTimer !== undefined) timers.clearTimeout(this.deadlineTimer);
    this.pingTimer = undefined;
    this.deadlineTimer = undefined;
    this.unansweredSince = undefined;
  }

  /**
   * Call on every inbound frame, pong or not: a socket busy with pushes is alive. Only records the fact
   * (no timer is touched), because a busy socket calls this hundreds of times a second.
   */
  received(): void {
    this.unansweredSince = undefined;
  }

  private schedulePing(): void {
    this.pingTimer = this.platform.timers.setTimeout(() => this.onPingDue(), this.options.intervalMs);
  }

  private onPingDue(): void {
    this.pingTimer = undefined;
    // Ping even while frames flow in: the server's idle timer counts only frames the client sends.
    this.unansweredSince ??= this.platform.clock.now();
    // Timers first, so a peer that stops us from inside ping() leaves nothing behind.
    this.schedulePing();
    if (this.deadlineTimer === undefined) this.armDeadline(this.options.timeoutMs);
    this.peer.ping();
  }

  private armDeadline(ms: number): void {
    this.deadlineTimer = this.platform.timers.setTimeout(() => this.onDeadline(), ms);
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    if (this.unansweredSince === undefined) return; // answered; the next ping arms a new deadline
    // With timeoutMs > intervalMs this deadline may belong to an older, answered ping: wait out the rest.
    const left = this.unansweredSince + this.options.timeoutMs - this.platform.clock.now();
    if (left > 0) {
      this.armDeadline(left);
      return;
    }
    this.stop();
    this.peer.dead();
  }
}
