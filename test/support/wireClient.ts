/**
 * A raw protocol client for integration tests: one real WebSocket speaking the schema's frames, with
 * no engine logic in between, so a test sees exactly what the server sends.
 *
 * Every received frame lands in a buffer. `nextFrame(predicate)` takes the first buffered frame that
 * matches (each frame satisfies at most one waiter), or waits for one to arrive; its timeout is only
 * a failure bound. Nothing here sleeps.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  checkResult,
  decodeServerFrame,
  encodeFrame,
  type AuthFailedFrame,
  type AuthOkFrame,
  type ClientFrame,
  type ErrorCode,
  type PongFrame,
  type PushFrame,
  type RequestParams,
  type RequestResult,
  type RequestType,
  type ResponseFrame,
  type ServerFrame,
} from '../../schema';

export interface ConnectOptions {
  token: string;
  deviceId: string;
  /** Last acked push cursor; the server replays everything after it. */
  cursor?: number;
  /** The server epoch `cursor` was stored under (auth_ok's `epoch`). */
  epoch?: string;
  /** Protocol version announced in the auth frame (default PROTOCOL_VERSION). */
  v?: number;
  /** Ack every push as it arrives (default true). */
  autoAck?: boolean;
  /** Origin header of the upgrade request (none by default, as non-browser clients send none). */
  origin?: string;
  /** More headers on the upgrade request (e.g. X-Forwarded-For behind a trusted proxy). */
  headers?: Record<string, string>;
  /** Send the auth frame on open (default true); off to test what the server does without it. */
  sendAuth?: boolean;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

/** A failed response, thrown by `call`: match on `code`. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type FrameOf<T extends ServerFrame['t']> = Extract<ServerFrame, { t: T }>;

/** Predicate for a frame kind, usable as a type guard with nextFrame. */
export const frameOf =
  <T extends ServerFrame['t']>(t: T) =>
  (f: ServerFrame): f is FrameOf<T> =>
    f.t === t;

/** The push of a message event with this client id. */
export const messagePush =
  (clientId: string) =>
  (f: ServerFrame): f is PushFrame =>
    f.t === 'push' && f.event.kind === 'message' && f.event.message.id === clientId;

export const isPush = frameOf('push');

interface Waiter {
  match: (f: ServerFrame) => boolean;
  resolve: (f: ServerFrame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Watcher {
  check: () => boolean;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT_MS = 5000;

export class WireClient {
  readonly ws: WebSocket;
  /** The first auth_ok or auth_failed frame. Rejects if the socket closes or fails before one. */
  readonly authResult: Promise<AuthOkFrame | AuthFailedFrame>;
  /** Resolves when the upgrade succeeds; rejects with the upgrade error (e.g. a refused Origin). */
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseInfo>;
  /** Every frame received, in order (consumed or not). */
  readonly frames: ServerFrame[] = [];
  /** Every push frame received, in order, resends and duplicates included. */
  readonly pushes: PushFrame[] = [];
  /** Received texts that failed ServerFrame validation: a server contract violation. */
  readonly violations: { text: string; message: string }[] = [];
  /** Highest cursor this client acked. */
  lastAcked = 0;
  closeInfo: CloseInfo | null = null;

  private readonly unconsumed: ServerFrame[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly watchers = new Set<Watcher>();
  private readonly outbox: (string | Buffer)[] = [];
  private readonly autoAck: boolean;
  private requestSeq = 0;
  private lastPingTs = 0;

  constructor(
    url: string,
    private readonly opts: ConnectOptions,
  ) {
    this.autoAck = opts.autoAck ?? true;
    this.ws = new WebSocket(url, { ...(opts.origin ? { origin: opts.origin } : {}), ...(opts.headers ? { headers: opts.headers } : {}) });

    let settled = false;
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => {
        settled = true;
        resolve();
      });
      this.ws.once('error', (err) => {
        if (!settled) reject(err);
      });
    });
    this.closed = new Promise<CloseInfo>((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.failAll(`socket closed (code ${code}${reason.length ? `, ${reason.toString()}` : ''})`);
        resolve(this.closeInfo);
      });
    });
    // ws throws on an 'error' with no listener; the failure is reported through opened/closed.
    this.ws.on('error', () => {});
    this.ws.on('open', () => {
      if (opts.sendAuth !== false) {
        this.ws.send(
          encodeFrame({
            t: 'auth',
            v: opts.v ?? PROTOCOL_VERSION,
            token: opts.token,
            deviceId: opts.deviceId,
            ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
            ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
          }),
        );
      }
      for (const data of this.outbox.splice(0)) this.ws.send(data);
    });
    this.ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));

    this.authResult = this.nextFrame(
      (f): f is AuthOkFrame | AuthFailedFrame => f.t === 'auth_ok' || f.t === 'auth_failed',
      DEFAULT_TIMEOUT_MS,
    );
    // Tests that never look at these must not see unhandled rejections.
    this.opened.catch(() => {});
    this.authResult.catch(() => {});
  }

  get deviceId(): string {
    return this.opts.deviceId;
  }

  /** Send text or bytes exactly as given (queued until the socket opens). */
  sendRaw(data: string | Buffer): void {
    if (this.ws.readyState === WebSocket.CONNECTING) this.outbox.push(data);
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
    else throw new Error(`cannot send: socket is ${this.ws.readyState === WebSocket.CLOSING ? 'closing' : 'closed'}`);
  }

  /** Send a frame encoded with the schema's codec. Deliberately untyped so tests can send bad frames. */
  send(frame: ClientFrame | Record<string, unknown>): void {
    this.sendRaw(encodeFrame(frame));
  }

  /**
   * The first buffered or future frame matching `match`, which it consumes. Rejects after
   * `timeoutMs`, when the socket closes, or when the server sends a frame violating the schema.
   */
  nextFrame<F extends ServerFrame>(match: (f: ServerFrame) => f is F, timeoutMs?: number): Promise<F>;
  nextFrame(match: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  nextFrame(match: (f: ServerFrame) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ServerFrame> {
    const i = this.unconsumed.findIndex(match);
    if (i >= 0) return Promise.resolve(this.unconsumed.splice(i, 1)[0]!);
    if (this.closeInfo) {
      return Promise.reject(new Error(`no matching frame: socket already closed (code ${this.closeInfo.code})`));
    }
    return new Promise<ServerFrame>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a frame; last frames: ${this.recent()}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Resolves once `check()` is true, re-evaluated after every received frame (it does not consume
   * frames). For conditions over `pushes` or `frames`, e.g. "100 message pushes arrived".
   */
  until(check: () => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.closeInfo) return Promise.reject(new Error(`condition not met: socket closed (code ${this.closeInfo.code})`));
    return new Promise<void>((resolve, reject) => {
      const watcher: Watcher = {
        check,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.watchers.delete(watcher);
          reject(new Error(`condition not met after ${timeoutMs} ms; last frames: ${this.recent()}`));
        }, timeoutMs),
      };
      this.watchers.add(watcher);
    });
  }

  /** Send a request and await its response frame, correlated by a generated id. */
  request(type: string, params: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ResponseFrame> {
    const id = this.newRequestId();
    return this.requestWithId(id, type, params, timeoutMs);
  }

  /** Send a request with a chosen id; for tests that watch that id's response themselves. */
  requestWithId(id: string, type: string, params: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ResponseFrame> {
    const response = this.nextFrame((f): f is ResponseFrame => f.t === 'res' && f.id === id, timeoutMs);
    this.send({ t: 'req', id, type, params });
    return response;
  }

  newRequestId(): string {
    return `r${++this.requestSeq}_${randomUUID().slice(0, 8)}`;
  }

  /** Request, and return the result validated against the request type's result schema. */
  async call<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs?: number): Promise<RequestResult<T>> {
    const res = await this.request(type, params, timeoutMs);
    if (!res.ok) throw new WireError(res.error.code, `${type} failed: ${res.error.code}: ${res.error.message}`);
    const checked = checkResult(type, res.result);
    if (!checked.ok) throw new Error(`${type} result violates the schema: ${checked.message}`);
    return checked.value;
  }

  /** Ping and await the pong that echoes this ping's ts. */
  ping(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PongFrame> {
    const ts = (this.lastPingTs = Math.max(Date.now(), this.lastPingTs + 1));
    const pong = this.nextFrame((f): f is PongFrame => f.t === 'pong' && f.ts === ts, timeoutMs);
    this.send({ t: 'ping', ts });
    return pong;
  }

  /** Cumulative ack: every push with cursor <= this is stored. */
  ack(cursor: number): void {
    this.lastAcked = Math.max(this.lastAcked, cursor);
    this.send({ t: 'ack', cursor });
  }

  /** Clean close; resolves once the socket is closed. */
  close(code = 1000): Promise<CloseInfo> {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(code);
    return this.closed;
  }

  /** Drop the TCP connection without a close handshake (a network loss). */
  terminate(): Promise<CloseInfo> {
    this.ws.terminate();
    return this.closed;
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const text = data.toString('utf8');
    const decoded = isBinary ? null : decodeServerFrame(text);
    if (!decoded || !decoded.ok) {
      const message = decoded ? decoded.message : 'binary frame from the server';
      this.violations.push({ text: text.slice(0, 500), message });
      this.failAll(`server sent a frame violating the schema (${message}): ${text.slice(0, 300)}`);
      return;
    }
    const frame = decoded.value;
    this.frames.push(frame);
    if (frame.t === 'push') {
      this.pushes.push(frame);
      if (this.autoAck && this.ws.readyState === WebSocket.OPEN) this.ack(frame.cursor);
    }
    let consumed = false;
    for (const w of this.waiters) {
      if (!w.match(frame)) continue;
      this.waiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(frame);
      consumed = true;
      break;
    }
    if (!consumed) this.unconsumed.push(frame);
    for (const w of this.watchers) {
      if (!w.check()) continue;
      this.watchers.delete(w);
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  private failAll(why: string): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`${why}; last frames: ${this.recent()}`));
    }
    this.waiters.clear();
    for (const w of this.watchers) {
      // A condition may have become true with the last frame before the close.
      clearTimeout(w.timer);
      if (w.check()) w.resolve();
      else w.reject(new Error(`${why}; last frames: ${this.recent()}`));
    }
    this.watchers.clear();
  }

  private recent(): string {
    const tail = this.frames.slice(-5).map((f) => JSON.stringify(f).slice(0, 200));
    return tail.length ? tail.join(' | ') : '(none)';
  }
}

/** Open a socket and (unless sendAuth is false) send the auth frame as soon as it opens. */
export function connectClient(wsUrl: string, opts: ConnectOptions): WireClient {
  return new WireClient(wsUrl, opts);
}
