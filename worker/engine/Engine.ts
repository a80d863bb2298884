/**
 * The engine: owns the one connection, correlates requests, and turns server frames into events
 * for every tab. It knows nothing of tabs or ports (see TabSession) and runs unchanged in a
 * SharedWorker, a dedicated Worker, or Node.
 */
import {
  ErrorCode,
  ParleyError,
  type RebuildReason,
  type RequestParams,
  type RequestResult,
  type RequestType,
  type PushEvent,
  type PushFrame,
  type ServerFrame,
} from '../../schema';
import { Connection } from '../connection/Connection';
import type { ConnectionState, EngineEvent } from '../protocol';
import type { EngineOptions } from '../options';
import type { Platform, TimerId } from '../platform';
import { RequestTracker } from '../requests/RequestTracker';
import type { PushRecord } from '../store/types';
import { EngineSignals } from '../signals/EngineSignals';
import { Emitter } from './Emitter';

/** Where tokens come from: in a SharedWorker, a live tab's `getToken()`. */
export interface TokenSource {
  /** `fresh`: the last token was refused as expired. Rejects when nobody can answer. */
  getToken(fresh: boolean): Promise<string>;
}

/** What a rollback changed: own messages queued again, others' removed (see worker/store/rollback.ts). */
export interface RollbackCounts {
  requeued: number;
  dropped: number;
}

/** Where pushes are stored before they are acked (the local database). */
export interface Inbox {
  /**
   * These pushes just arrived and will be stored next: show them now if that is useful. Nothing is
   * committed yet; {@link store} follows with them (or, after a failure, a replay does).
   */
  arrived?(records: PushRecord[]): void;
  /**
   * Store these pushes durably, in order; resolve once committed. Acks wait for it. `epoch`, when
   * given, is the server epoch they came under, to be stored with their cursor.
   */
  store(records: PushRecord[], epoch?: string): Promise<void>;
  /**
   * The server lost history after `cursor` that this device stored: go back to what the server
   * holds, store `cursor` under `epoch`, and resolve once committed. No push is stored meanwhile.
   */
  rollback(to: { cursor: number; epoch: string }): Promise<RollbackCounts>;
  /**
   * The stream restarts after `cursor`, the server's head, without a replay of what came before:
   * keep what is stored, store `cursor` under `epoch`, and load the head (conversations, latest
   * pages, receipts) from the server. Resolve once the cursor is committed; the head may load after.
   */
  rebuild(to: { cursor: number; epoch: string; reason: RebuildReason }): Promise<void>;
}

/** What the server asked at auth before this socket's pushes may be stored: roll back, rebuild, or both in that order. */
interface StreamReset {
  resync?: { cursor: number; epoch: string };
  rebuild?: { cursor: number; epoch: string; reason: RebuildReason };
}

/**
 * What the layer above the engine (the inbox, the outbox) may use of it: requests, the connection
 * state, and its events. Given to the inbox as the engine constructs it, so neither needs the other
 * to be finished first.
 */
export interface EnginePort {
  request<T extends RequestType>(type: T, params: RequestParams<T>, opts?: RequestOptions): Promise<RequestResult<T>>;
  state(): ConnectionState;
  onEvent(listener: (event: EngineEvent) => void): () => void;
}

export interface EngineDeps<I extends Inbox> {
  platform: Platform;
  options: EngineOptions;
  tokens: TokenSource;
  /** Builds the inbox on the engine's port. Without one, pushes are acked once emitted (nothing is stored). */
  inbox?: (port: EnginePort) => I;
  /** Highest push cursor already stored locally: the server replays after it. */
  initialCursor?: number;
  /** The server epoch that cursor was stored under. */
  initialEpoch?: string;
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Acks are cumulative: send one per burst, at the latest after this long or this many pushes. */
const ACK_DELAY_MS = 50;
const ACK_EVERY = 64;
/**
 * Replays after a failed store (storage full) or a hole in the stream wait this long, doubling per
 * replay without a successful store in between: a full disk must not become a reconnect loop.
 */
const REPLAY_DELAY_MS = 250;
const REPLAY_DELAY_MAX_MS = 30_000;
/** How long a sign-out waits for the server to hear of it. */
const SIGN_OUT_TIMEOUT_MS = 3_000;

export class Engine<I extends Inbox = Inbox> {
  readonly events = new Emitter<EngineEvent>();
  /** Where pushes are stored (built by `deps.inbox` on this engine's port), or null. */
  readonly inbox: I | null;
  /** Typing and presence for every tab. */
  readonly signals: EngineSignals;
  private readonly connection: Connection;
  private readonly requests: RequestTracker;
  private state: ConnectionState;
  /** Highest push cursor stored (or emitted, without an inbox); pushes at or below it are duplicates. */
  private cursor: number;
  /** Highest cursor reported as 'receive': each push is reported once, on arrival or once stored. */
  private emittedCursor: number;
  /** The server epoch `cursor` belongs to, and the one of the socket now online. */
  private epoch: string | undefined;
  private serverEpoch: string | undefined;
  /** The server asked for a rollback or a rebuild on this socket; no push is stored (or acked) until it is done. */
  private reset: StreamReset | null = null;
  private resetting: Promise<boolean> | null = null;
  /** Pushes waiting for the inbox, in arrival order; `queuedCursor` is the highest among them. */
  private queue: PushFrame[] = [];
  private queuedCursor: number;
  private draining = false;
  /** A store failed: drop pushes until the reconnect's replay starts again from `cursor`. */
  private stalled = false;
  private unackedCount = 0;
  private ackTimer: TimerId | null = null;
  /** Replays since the last successful store; the first is immediate, the next ones back off. */
  private replays = 0;
  private replayTimer: TimerId | null = null;

  constructor(private readonly deps: EngineDeps<I>) {
    const { platform, options } = deps;
    this.cursor = deps.initialCursor ?? 0;
    this.emittedCursor = this.cursor;
    this.epoch = deps.initialEpoch;
    this.queuedCursor = this.cursor;
    this.connection = new Connection({
      platform,
      options,
      getToken: (fresh) => deps.tokens.getToken(fresh),
      // A device holds a position once it stored a cursor under an epoch, even cursor 0 (a head it
      // started at on an empty server): naming none would make it a new device again, and events
      // since would come with the head, not as pushes.
      getPosition: () => (this.cursor > 0 || this.epoch !== undefined ? { cursor: this.cursor, epoch: this.epoch } : undefined),
      onAuthenticated: (frame) => {
        this.serverEpoch = frame.epoch;
        this.reset = resetOf(frame.epoch, frame.resync, frame.rebuild);
      },
      onFrame: (frame) => this.onFrame(frame),
    });
    this.requests = new RequestTracker({
      platform,
      timeoutMs: options.requests.timeoutMs,
      maxPending: options.requests.maxPending,
      send: (frame) => this.connection.send(frame),
    });
    this.signals = new EngineSignals({
      platform,
      send: (frame) => this.connection.send(frame),
      watch: (params) => this.request('presence.watch', params),
      setStatus: (params) => this.request('presence.set', params),
      emitTyping: (conversationId, typing) => this.events.emit({ type: 'typing', conversationId, typing }),
      emitPresence: (conversations) => this.events.emit({ type: 'presence', conversations }),
      report: (message) => this.events.emit({ type: 'receive_error', code: ErrorCode.INTERNAL, message }),
    });
    this.state = this.connection.state;
    this.connection.subscribe((next) => this.onState(next));
    this.inbox = deps.inbox
      ? deps.inbox({
          request: (type, params, opts) => this.request(type, params, opts),
          state: () => this.state,
          onEvent: (listener) => this.events.on(listener),
        })
      : null;
  }

  getState(): ConnectionState {
    return this.state;
  }

  /** Open the connection (idempotent while it is already trying or online). */
  start(): void {
    if (this.state.status === 'idle') this.connection.connect();
  }

  /** Leave any state (kicked, auth failed, gave up, backoff) and connect now with a fresh attempt count. */
  reconnect(): void {
    this.connection.reconnect();
  }

  /** Typed request with a timeout; rejects with a ParleyError whose `code` says why. */
  request<T extends RequestType>(type: T, params: RequestParams<T>, opts: RequestOptions = {}): Promise<RequestResult<T>> {
    if (this.state.status === 'closed' || this.state.status === 'signed_out') return Promise.reject(new ParleyError(ErrorCode.CLOSED, 'the engine is closed'));
    this.start();
    return this.requests.request(type, params, opts);
  }

  close(): void {
    this.flushAck();
    this.cancelReplay();
    this.connection.close();
  }

  /**
   * The user signs out: tell the server (when online, bounded by SIGN_OUT_TIMEOUT_MS: offline, the
   * session simply ends here), close, and say `signed_out` to every tab. Never reconnects after.
   */
  async signOut(): Promise<void> {
    if (this.state.status === 'online') await this.request('session.signOut', {}, { timeoutMs: SIGN_OUT_TIMEOUT_MS }).catch(() => {});
    this.close();
    this.onState({ status: 'signed_out' });
  }

  private onState(next: ConnectionState): void {
    const prev = this.state;
    this.state = next;
    this.events.emit({ type: 'state', state: next });
    if (prev.status === 'online' && next.status !== 'online') this.signals.offline();
    switch (next.status) {
      case 'online':
        // A fresh socket replays from the stored cursor: a replay still waiting is done.
        this.cancelReplay();
        this.stalled = false;
        if (this.reset) this.resetStream(this.reset);
        this.events.emit({ type: 'connect_success', userId: next.userId, deviceId: next.deviceId });
        this.requests.connected();
        this.signals.online();
        break;
      case 'backoff':
        if (prev.status === 'online') this.requests.disconnected();
        this.events.emit({ type: 'connect_failure', cause: 'network', code: next.lastError.code, message: next.lastError.message });
        break;
      case 'offline':
        this.requests.disconnected();
        this.events.emit({ type: 'connect_failure', cause: 'offline', code: ErrorCode.DISCONNECTED, message: 'the device is offline' });
        break;
      case 'kicked':
        this.requests.closed(ErrorCode.DISCONNECTED);
        this.events.emit({ type: 'connect_failure', cause: 'kicked', code: next.reason, message: next.message });
        break;
      case 'auth_failed':
        this.requests.closed(ErrorCode.DISCONNECTED);
        this.events.emit({ type: 'auth_failure', code: next.code, message: next.message });
        break;
      case 'gave_up':
        this.requests.closed(ErrorCode.DISCONNECTED);
        this.events.emit({ type: 'connect_failure', cause: 'gave_up', code: next.lastError.code, message: next.lastError.message });
        break;
      case 'closed':
      case 'signed_out':
        this.requests.closed(ErrorCode.CLOSED);
        this.cancelAck();
        break;
      case 'idle':
      case 'connecting':
      case 'authenticating':
        if (prev.status === 'online') this.requests.disconnected();
        break;
    }
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.t) {
      case 'res':
        this.requests.handleResponse(frame);
        return;
      case 'push':
        if (this.stalled) return;
        // Duplicates (a resend after a lost ack, a replay) are acked again but not re-emitted.
        if (frame.cursor <= this.queuedCursor) {
          this.scheduleAck();
          return;
        }
        if (this.missedBefore(frame)) return;
        this.queuedCursor = frame.cursor;
        this.queue.push(frame);
        this.showOnArrival(frame);
        void this.drain();
        return;
      case 'error':
        this.events.emit({ type: 'receive_error', code: frame.code, message: frame.message });
        return;
      case 'typing':
        this.signals.onTyping(frame);
        return;
      case 'presence':
        this.signals.onPresence(frame);
        return;
      case 'desk':
        this.events.emit({ type: 'desk_change', shopId: frame.shopId, change: frame.change });
        return;
      default:
        return;
    }
  }

  /**
   * The push says which one came before it (`prev`). Above what we hold, pushes in between were
   * lost or are arriving out of order: acking this one would ack past them for good. Stop taking
   * pushes on this socket and replay from the stored cursor on a fresh one. A device with nothing
   * stored yet starts wherever the server's record puts it, so it has no hole to miss.
   */
  private missedBefore(frame: PushFrame): boolean {
    if (frame.prev === undefined || this.queuedCursor === 0 || frame.prev <= this.queuedCursor) return false;
    this.events.emit({
      type: 'receive_error',
      code: ErrorCode.INVALID_FRAME,
      message: `pushes missing between cursor ${this.queuedCursor} and ${frame.prev}: replaying`,
    });
    this.replayFromStored();
    return true;
  }

  /**
   * A push is reported the moment it arrives, before it is stored: tabs show it while the commit
   * runs (10-50 ms in IndexedDB). Only the ack waits for the commit, so the server still resends
   * whatever was not stored. During a rollback pushes wait: the history they land on is changing.
   */
  private showOnArrival(frame: PushFrame): void {
    if (this.resetting || frame.cursor <= this.emittedCursor) return;
    this.emittedCursor = frame.cursor;
    const record = { cursor: frame.cursor, event: frame.event };
    if (frame.event.kind === 'message') this.signals.onMessage(frame.event.message.conversationId, frame.event.message.senderId, () => this.ownParties());
    // The event first: a listener is cheap for a tab; a view update may mean rendering a page.
    this.events.emit({ type: 'receive', ...record, stored: false });
    this.inbox?.arrived?.([record]);
  }

  /** Store queued pushes (a burst shares one commit), then ack them: never ack before storing. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.stalled) {
        if (this.resetting && !(await this.resetting)) return;
        const batch = this.queue;
        this.queue = [];
        const epoch = this.serverEpoch !== this.epoch ? this.serverEpoch : undefined;
        try {
          await this.inbox?.store(
            batch.map((f) => ({ cursor: f.cursor, event: f.event })),
            epoch,
          );
        } catch (err) {
          // Not stored, so not acked. Start over from what is stored: the server replays after it.
          const code = ParleyError.is(err) ? err.code : ErrorCode.INTERNAL;
          this.events.emit({ type: 'receive_error', code, message: `could not store pushes: ${(err as Error)?.message ?? String(err)}` });
          this.replayFromStored();
          return;
        }
        this.replays = 0;
        if (epoch !== undefined) this.epoch = epoch;
        for (const f of batch) {
          this.cursor = Math.max(this.cursor, f.cursor);
          if (f.cursor > this.emittedCursor) {
            this.emittedCursor = f.cursor;
            this.events.emit({ type: 'receive', cursor: f.cursor, event: f.event, stored: true });
          }
          this.scheduleAck();
        }
        this.events.emit({ type: 'stored', cursor: this.cursor });
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * The stream restarts after a point the server chose, and pushes above it are new events whatever
   * numbers we stored before. A rollback: the server lost history after `resync.cursor`, and the
   * local store goes back to what it holds. A rebuild: the stream starts at the head without a
   * replay, and the store keeps what it has and loads the head. Pushes wait in the queue meanwhile,
   * unacked. If either fails, nothing changed locally that a reconnect cannot redo: the server asks again.
   */
  private resetStream(reset: StreamReset): void {
    const restart = reset.rebuild?.cursor ?? reset.resync!.cursor;
    this.reset = null;
    this.queue = [];
    this.queuedCursor = restart;
    // Cursors above it are new events now, whatever was reported under those numbers before.
    this.emittedCursor = restart;
    this.cancelAck();
    const resetting: Promise<boolean> = this.applyReset(reset).then(
      () => {
        if (this.resetting === resetting) this.resetting = null;
        return true;
      },
      (err: unknown) => {
        if (this.resetting === resetting) this.resetting = null;
        const code = ParleyError.is(err) ? err.code : ErrorCode.INTERNAL;
        const what = reset.rebuild ? "start at the server's head" : "roll back to the server's history";
        this.events.emit({ type: 'receive_error', code, message: `could not ${what}: ${(err as Error)?.message ?? String(err)}` });
        this.replayFromStored();
        return false;
      },
    );
    this.resetting = resetting;
  }

  private async applyReset({ resync, rebuild }: StreamReset): Promise<void> {
    const inbox = this.inbox;
    if (resync) {
      const counts = inbox ? await inbox.rollback(resync) : { requeued: 0, dropped: 0 };
      this.cursor = resync.cursor;
      this.epoch = resync.epoch;
      this.events.emit({ type: 'resync', reason: 'server_rollback', cursor: resync.cursor, ...counts });
    }
    if (rebuild) {
      await inbox?.rebuild(rebuild);
      this.cursor = rebuild.cursor;
      this.epoch = rebuild.epoch;
      this.events.emit({ type: 'rebuild', reason: rebuild.reason, cursor: rebuild.cursor });
    }
  }

  /**
   * Drop this socket's remaining pushes (queued ones included) and reconnect: the server replays
   * after the stored cursor. A batch being stored meanwhile still lands; its replayed copies are
   * stored again, which the inbox ignores. Repeated replays back off (REPLAY_DELAY_MS); until the
   * reconnect the socket stays up for requests, and its pushes are ignored, unacked.
   */
  private replayFromStored(): void {
    this.stalled = true;
    this.queue = [];
    this.queuedCursor = this.cursor;
    if (this.replayTimer !== null) return;
    const delay = this.replays === 0 ? 0 : Math.min(REPLAY_DELAY_MAX_MS, REPLAY_DELAY_MS * 2 ** (this.replays - 1));
    this.replays++;
    if (delay === 0) return this.connection.reconnect();
    this.replayTimer = this.deps.platform.timers.setTimeout(() => {
      this.replayTimer = null;
      if (this.state.status !== 'closed') this.connection.reconnect();
    }, delay);
  }

  private cancelReplay(): void {
    if (this.replayTimer !== null) this.deps.platform.timers.clearTimeout(this.replayTimer);
    this.replayTimer = null;
  }

  /** Who this user is in conversations: themselves, and their shop if they are its agent. */
  private ownParties(): string[] {
    const s = this.state;
    return s.status === 'online' ? (s.shopId ? [s.userId, s.shopId] : [s.userId]) : [];
  }

  private scheduleAck(): void {
    if (++this.unackedCount >= ACK_EVERY) return this.flushAck();
    if (this.ackTimer === null) {
      this.ackTimer = this.deps.platform.timers.setTimeout(() => {
        this.ackTimer = null;
        this.flushAck();
      }, ACK_DELAY_MS);
    }
  }

  private cancelAck(): void {
    if (this.ackTimer !== null) this.deps.platform.timers.clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  private flushAck(): void {
    this.cancelAck();
    this.unackedCount = 0;
    // Mid-reset our cursor is from a history the server lost or skipped: acking it would skip new events.
    if (this.cursor === 0 || this.resetting) return;
    // Re-ack even an unchanged cursor: the server resends until it hears an ack.
    this.connection.send({ t: 'ack', cursor: this.cursor });
  }
}

/** What auth_ok asks of the device before its pushes (an answer without an epoch predates both). */
function resetOf(
  epoch: string | undefined,
  resync: { cursor: number } | undefined,
  rebuild: { cursor: number; reason: RebuildReason } | undefined,
): StreamReset | null {
  if (epoch === undefined || (!resync && !rebuild)) return null;
  return {
    ...(resync ? { resync: { cursor: resync.cursor, epoch } } : {}),
    ...(rebuild ? { rebuild: { cursor: rebuild.cursor, epoch, reason: rebuild.reason } } : {}),
  };
}
