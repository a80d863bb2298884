/**
 * Owns the one WebSocket: opens it, authenticates, watches it with a heartbeat, and reconnects with
 * backoff until it is online, kicked, refused, out of attempts or closed. Every change is one
 * ConnectionState delivered to subscribers (see state.ts for the diagram). Requests, pushes and acks
 * live elsewhere: they get the validated frames through `onFrame` and write through `send`.
 */
import {
  CloseCode,
  ErrorCode,
  KickReason,
  PROTOCOL_VERSION,
  decodeServerFrame,
  encodeFrame,
  type AuthFailedFrame,
  type AuthFrame,
  type AuthOkFrame,
  type ClientFrame,
  type ServerFrame,
} from '../../schema';
import type { EngineOptions } from '../options';
import type { Platform, SocketLike, TimerId } from '../platform';
import { backoffDelay } from './backoff';
import { Heartbeat } from './heartbeat';
import { isTerminal, type ConnectionState } from './state';

export interface ConnectionDeps {
  platform: Platform;
  options: EngineOptions;
  /** Asks a live tab for a token; rejects when none can answer. `fresh` = the last one expired. */
  getToken: (fresh: boolean) => Promise<string>;
  /**
   * Where to resume the push stream: the local store's cursor and the server epoch it was stored
   * under; undefined to use the server's record.
   */
  getPosition: () => { cursor: number; epoch?: string | undefined } | undefined;
  /** The server accepted the auth frame: called with its auth_ok before the state turns online. */
  onAuthenticated?: (frame: AuthOkFrame) => void;
  /** Every validated server frame once online: res, push, error (not auth_ok/auth_failed/pong/kick, which Connection handles). */
  onFrame: (frame: ServerFrame) => void;
}

export type ConnectionListener = (state: ConnectionState) => void;

/** WebSocket.OPEN. A browser socket silently drops sends in CLOSING/CLOSED, so we check before sending. */
const SOCKET_OPEN = 1;
const KICK_REASONS: readonly string[] = Object.values(KickReason);

export class Connection {
  private current: ConnectionState = { status: 'idle' };
  private readonly listeners = new Set<ConnectionListener>();
  /** States not yet delivered: a listener may cause a transition while another one is being delivered. */
  private readonly undelivered: ConnectionState[] = [];
  private delivering = false;

  private socket: SocketLike | undefined;
  /** Tries in a row that did not reach stableAfterMs online. */
  private failures = 0;
  /** The try in progress is the single immediate retry after TOKEN_EXPIRED. */
  private retryingExpiredToken = false;
  private connectTimer: TimerId | undefined;
  private retryTimer: TimerId | undefined;
  private stableTimer: TimerId | undefined;
  private readonly heartbeat: Heartbeat;
  private unsubscribeNetwork: (() => void) | undefined;

  constructor(private readonly deps: ConnectionDeps) {
    const { platform, options } = deps;
    this.heartbeat = new Heartbeat(
      {
        ping: () => void this.send({ t: 'ping', ts: platform.clock.now() }),
        dead: () =>
          this.fail(ErrorCode.DISCONNECTED, `no frame from the server within ${options.heartbeat.timeoutMs} ms of a ping`),
      },
      platform,
      options.heartbeat,
    );
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** True when authenticated and able to send requests. */
  get isOnline(): boolean {
    return this.current.status === 'online';
  }

  /** Receive every later state, in order (not the current one). Returns the unsubscribe function. */
  subscribe(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Start connecting, from idle or from kicked/auth_failed/gave_up, with the attempt count reset. Otherwise does nothing. */
  connect(): void {
    const { status } = this.current;
    if (status === 'idle' || (isTerminal(this.current) && status !== 'closed')) this.restart();
  }

  /** Drop whatever socket there is and connect now with the attempt count reset. Does nothing once closed. */
  reconnect(): void {
    if (this.current.status !== 'closed') this.restart();
  }

  /** Final: drop the socket, cancel every timer, stop watching the network. The connection cannot be reused. */
  close(): void {
    if (this.current.status === 'closed') return;
    this.teardown(CloseCode.NORMAL);
    this.unsubscribeNetwork?.();
    this.unsubscribeNetwork = undefined;
    this.setState({ status: 'closed' });
  }

  /** Send a frame. Returns false (and sends nothing) unless online with an open socket. */
  send(frame: ClientFrame): boolean {
    return this.current.status === 'online' && this.socket !== undefined && this.write(this.socket, frame);
  }

  // ---- one try --------------------------------------------------------------------------------

  private restart(): void {
    this.failures = 0;
    this.retryingExpiredToken = false;
    this.unsubscribeNetwork ??= this.deps.platform.network.subscribe((up) =>
      up ? this.onNetworkUp() : this.onNetworkDown(),
    );
    this.tryConnect();
  }

  /** Open a socket for the next try, or wait for the network when there is none. */
  private tryConnect(): void {
    const { platform, options } = this.deps;
    this.teardown();
    if (!platform.network.isOnline()) {
      this.setState({ status: 'offline' });
      return;
    }
    const attempt = this.failures + 1;
    let socket: SocketLike;
    try {
      socket = platform.createSocket(options.url);
    } catch (err) {
      this.fail(ErrorCode.DISCONNECTED, `could not open a socket: ${messageOf(err)}`);
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.onOpen(socket, attempt);
    socket.onmessage = (ev) => this.onMessage(socket, ev.data);
    socket.onclose = (ev) => this.onClose(socket, ev.code, ev.reason);
    socket.onerror = () => {
      // Browsers follow an error with a close; we do not wait for it.
      if (socket === this.socket) this.fail(ErrorCode.DISCONNECTED, 'socket error');
    };
    // One bound for open + token + auth_ok, so a server that accepts the socket and then says nothing cannot hold us.
    this.connectTimer = platform.timers.setTimeout(
      () => this.fail(ErrorCode.REQUEST_TIMEOUT, `not online within ${options.connectTimeoutMs} ms`),
      options.connectTimeoutMs,
    );
    this.setState({ status: 'connecting', attempt });
  }

  private onOpen(socket: SocketLike, attempt: number): void {
    if (socket !== this.socket) return;
    const fresh = this.retryingExpiredToken;
    // Wrapped so that a getToken that throws synchronously is a rejection like any other.
    new Promise<string>((resolve) => resolve(this.deps.getToken(fresh))).then(
      (token) => this.authenticate(socket, token),
      (err: unknown) => {
        if (socket === this.socket) this.fail(ErrorCode.AUTH_REQUIRED, `no token: ${messageOf(err)}`);
      },
    );
    this.setState({ status: 'authenticating', attempt });
  }

  private authenticate(socket: SocketLike, token: string): void {
    if (socket !== this.socket || this.current.status !== 'authenticating') return; // superseded while we waited
    const { deviceId } = this.deps.options;
    const at = this.readPosition();
    const frame: AuthFrame = { t: 'auth', v: PROTOCOL_VERSION, token, deviceId };
    if (at !== undefined) frame.cursor = at.cursor;
    if (at?.epoch !== undefined) frame.epoch = at.epoch;
    if (!this.write(socket, frame)) this.fail(ErrorCode.DISCONNECTED, 'socket closed before the auth frame was sent');
  }

  private readPosition(): { cursor: number; epoch?: string | undefined } | undefined {
    try {
      return this.deps.getPosition();
    } catch {
      // Safe fallback: the server's record only covers pushes already acked, hence already stored; the replay
      // may repeat some, which the store dedups by cursor.
      return undefined;
    }
  }

  // ---- inbound --------------------------------------------------------------------------------

  private onMessage(socket: SocketLike, data: unknown): void {
    if (socket !== this.socket) return;
    // Bytes arriving prove the link is alive, whatever they say.
    this.heartbeat.received();
    if (typeof data !== 'string') return; // the protocol uses text frames only
    const decoded = decodeServerFrame(data);
    // An invalid frame is dropped: a buggy, newer or hijacked server must not take the engine down.
    if (!decoded.ok) return;
    const frame = decoded.value;
    const { status } = this.current;
    switch (frame.t) {
      case 'auth_ok':
        if (status === 'authenticating') this.goOnline(frame);
        return;
      case 'auth_failed':
        // Online, the server ends a session whose token expired: reconnect with a fresh one.
        if (status === 'authenticating' || (status === 'online' && frame.code === ErrorCode.TOKEN_EXPIRED)) this.onAuthFailed(frame);
        return;
      case 'kick':
        this.end({ status: 'kicked', reason: frame.reason, message: frame.message });
        return;
      case 'pong':
        return; // already counted as life above
      default:
        if (status === 'online') guarded(this.deps.onFrame, frame);
    }
  }

  private onClose(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    if (code === CloseCode.KICKED) {
      // The kick frame may have been lost or invalid; the close code alone is the server's decision.
      const kickReason = KICK_REASONS.includes(reason) ? (reason as KickReason) : KickReason.LOGGED_IN_ELSEWHERE;
      this.end({ status: 'kicked', reason: kickReason, message: `the server ended the session (close ${code})` });
      return;
    }
    if (code === CloseCode.GO_ELSEWHERE && this.current.status === 'online') return this.rehome();
    this.fail(ErrorCode.DISCONNECTED, `socket closed (${code}${reason ? ` ${reason}` : ''})`);
  }

  /**
   * The node is going away and said so: come back (to another node, through the load balancer) after
   * a random delay within the base backoff, so a node's clients do not all arrive at once. Not a
   * failure: the backoff does not grow.
   */
  private rehome(): void {
    const { platform, options } = this.deps;
    this.teardown();
    const delay = Math.floor(platform.random() * options.reconnect.baseDelayMs);
    this.retryTimer = platform.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.tryConnect();
    }, delay);
    this.setState({
      status: 'backoff',
      attempt: this.failures,
      nextTryAt: platform.clock.now() + delay,
      lastError: { code: ErrorCode.DISCONNECTED, message: 'the server asked to reconnect elsewhere (4005)' },
    });
  }

  private goOnline(frame: AuthOkFrame): void {
    const { platform, options } = this.deps;
    this.connectTimer = this.cancel(this.connectTimer);
    this.retryingExpiredToken = false;
    this.heartbeat.start();
    // Only a connection that stays up proves the link healthy; a flapping one keeps its backoff growing.
    this.stableTimer = platform.timers.setTimeout(() => {
      this.stableTimer = undefined;
      this.failures = 0;
    }, options.reconnect.stableAfterMs);
    if (this.deps.onAuthenticated) guarded(this.deps.onAuthenticated, frame);
    this.setState({
      status: 'online',
      since: platform.clock.now(),
      userId: frame.userId,
      role: frame.role,
      shopId: frame.shopId,
      displayName: frame.displayName,
      deviceId: frame.deviceId,
    });
  }

  private onAuthFailed(frame: AuthFailedFrame): void {
    // Too slow to authenticate (a slow token provider) is a failed attempt, not a refusal.
    if (frame.code === ErrorCode.AUTH_TIMEOUT) return this.fail(ErrorCode.AUTH_TIMEOUT, frame.message);
    if (frame.code === ErrorCode.TOKEN_EXPIRED && !this.retryingExpiredToken) {
      // The token may have expired in a tab's cache: one immediate try with a fresh one. A second expiry
      // means the token source itself is stale, which retrying cannot fix.
      this.retryingExpiredToken = true;
      this.tryConnect();
      return;
    }
    this.end({ status: 'auth_failed', code: frame.code, message: frame.message });
  }

  // ---- failure, backoff, network --------------------------------------------------------------

  /** A try failed or an online socket died: back off, or give up after maxAttempts failures in a row. */
  private fail(code: ErrorCode, message: string): void {
    const { platform, options } = this.deps;
    this.teardown();
    this.retryingExpiredToken = false;
    // A failure caused by losing the network is not the server's fault: wait for the network, count nothing.
    if (!platform.network.isOnline()) {
      this.setState({ status: 'offline' });
      return;
    }
    const lastError = { code, message };
    this.failures += 1;
    if (this.failures >= options.reconnect.maxAttempts) {
      this.setState({ status: 'gave_up', attempts: this.failures, lastError });
      return;
    }
    const delay = backoffDelay(this.failures, options.reconnect, platform.random);
    this.retryTimer = platform.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.tryConnect();
    }, delay);
    this.setState({ status: 'backoff', attempt: this.failures, nextTryAt: platform.clock.now() + delay, lastError });
  }

  private onNetworkDown(): void {
    const { status } = this.current;
    if (status === 'idle' || status === 'offline' || isTerminal(this.current)) return;
    // Retrying with no network would only burn attempts; the online event brings us back.
    this.teardown();
    this.setState({ status: 'offline' });
  }

  private onNetworkUp(): void {
    const { status } = this.current;
    if (status === 'offline') {
      // A new network is a new situation: failures on the old one say nothing about it.
      this.failures = 0;
      this.tryConnect();
    } else if (status === 'backoff') {
      this.tryConnect(); // the network is the likeliest thing we were waiting for; the count stays
    }
  }

  /** Enter a terminal state (kicked, auth_failed): nothing reconnects until the app calls reconnect(). */
  private end(state: ConnectionState): void {
    this.teardown();
    this.setState(state);
  }

  /** Drop the socket (handlers first, so a late event cannot reach us) and cancel every timer. */
  private teardown(closeCode?: number): void {
    this.connectTimer = this.cancel(this.connectTimer);
    this.retryTimer = this.cancel(this.retryTimer);
    this.stableTimer = this.cancel(this.stableTimer);
    this.heartbeat.stop();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      // A half-open socket may never confirm the close; we have already moved on.
      socket.close(closeCode);
    } catch {
      // close() on a socket that is already gone may throw; there is nothing left to release.
    }
  }

  private cancel(id: TimerId | undefined): undefined {
    if (id !== undefined) this.deps.platform.timers.clearTimeout(id);
    return undefined;
  }

  private write(socket: SocketLike, frame: ClientFrame): boolean {
    if (socket.readyState !== SOCKET_OPEN) return false;
    try {
      socket.send(encodeFrame(frame));
      return true;
    } catch {
      return false;
    }
  }

  private setState(next: ConnectionState): void {
    this.current = next;
    this.undelivered.push(next);
    if (this.delivering) return; // the loop below delivers it after the state being delivered now
    this.delivering = true;
    try {
      for (let state = this.undelivered.shift(); state; state = this.undelivered.shift()) {
        for (const listener of [...this.listeners]) guarded(listener, state);
      }
    } finally {
      this.delivering = false;
    }
  }
}

/** Call a consumer; a throw is reported asynchronously instead of breaking the state machine mid-transition. */
function guarded<T>(fn: (value: T) => void, value: T): void {
  try {
    fn(value);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
