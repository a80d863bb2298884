/**
 * Correlates requests with their responses by request id, and closes the gap the
 * seed admits in section 10: there, a request without an answer waited forever. Here every request
 * has a timer from the moment it is made, the number pending is capped, and a dropped connection
 * settles or requeues every request on the wire at once (see policy.ts).
 *
 * The tracker does no I/O. The connection hands it a `send` function and tells it when the link
 * goes online, drops, or ends for good; it feeds it every `res` frame.
 */
import * as v from 'valibot';
import {
  checkResult,
  ErrorCode,
  errorFromWire,
  ParleyError,
  RequestId,
  type RequestFrame,
  type RequestParams,
  type RequestResult,
  type RequestType,
  type ResponseFrame,
} from '../../schema';
import type { Platform, TimerId } from '../platform';
import { onDisconnect } from './policy';

export interface RequestTrackerOptions {
  /** Timers come from here (a FakeClock in tests); `random` seeds the default request-id prefix. */
  platform: Platform;
  /** Default time a request may take, in ms, counted from the call: queueing plus the round trip. */
  timeoutMs: number;
  /** Most requests pending at once (queued plus in flight); more are refused with TOO_MANY_PENDING. */
  maxPending: number;
  /**
   * Put a frame on the wire. Returns false when the connection is not online, in which case the
   * request stays queued until {@link RequestTracker.connected}. Must not throw; if it does, that
   * one request fails with INTERNAL (the thrown value as `cause`) and the link is assumed fine.
   */
  send: (frame: RequestFrame) => boolean;
  /**
   * Makes request ids. Each must match `RequestId` in schema/frames.ts and never repeat within one
   * tracker. Default: a random six-character prefix, then a counter.
   */
  newId?: () => string;
}

export interface RequestOptions {
  /** Overrides the tracker's default timeout for this call, in ms. */
  timeoutMs?: number;
  /**
   * Stops waiting, rejecting with ABORTED. A request already sent may still be carried out by the
   * server: aborting only means nobody waits for the answer.
   */
  signal?: AbortSignal;
}

/** Where the link is, as the connection last told us. Closed is sticky until connected(). */
type Link = { status: 'offline' } | { status: 'online' } | { status: 'closed'; code: ErrorCode };

interface Pending {
  readonly id: string;
  readonly type: RequestType;
  readonly params: RequestParams<RequestType>;
  /**
   * waiting: never sent, queued for connected(). sent: on the wire, awaiting its res.
   * requeued: was sent, the link dropped, queued to go again with the same id.
   */
  phase: 'waiting' | 'sent' | 'requeued';
  readonly timeoutMs: number;
  timer: TimerId;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: ParleyError) => void;
  /** Removes the abort listener, if any. */
  readonly detach: () => void;
}

/** setTimeout's delay is a signed 32-bit int in browsers; above it the timer fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function isTimeout(ms: number): boolean {
  return Number.isFinite(ms) && ms > 0 && ms <= MAX_TIMER_MS;
}

/** Short, unique per tracker, and distinct across trackers in logs: `k3x9q0-1`, `k3x9q0-2`, ... */
function counterIds(random: () => number): () => string {
  const prefix = Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
  let n = 0;
  return () => `${prefix}-${(++n).toString(36)}`;
}

export class RequestTracker {
  private readonly platform: Platform;
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly send: (frame: RequestFrame) => boolean;
  private readonly newId: () => string;
  /** Queued and in-flight requests, in call order (Map keeps insertion order). */
  private readonly entries = new Map<string, Pending>();
  private link: Link = { status: 'offline' };

  /** @throws RangeError when timeoutMs or maxPending is out of range (a wiring bug, not a runtime state). */
  constructor(options: RequestTrackerOptions) {
    if (!isTimeout(options.timeoutMs)) {
      throw new RangeError(`timeoutMs must be in (0, ${MAX_TIMER_MS}], got ${options.timeoutMs}`);
    }
    if (!Number.isInteger(options.maxPending) || options.maxPending < 1) {
      throw new RangeError(`maxPending must be a positive integer, got ${options.maxPending}`);
    }
    this.platform = options.platform;
    this.timeoutMs = options.timeoutMs;
    this.maxPending = options.maxPending;
    this.send = options.send;
    this.newId = options.newId ?? counterIds(options.platform.random);
  }

  /** Requests queued plus in flight. */
  get pending(): number {
    return this.entries.size;
  }

  /**
   * Send a request and wait for its validated result. Sent at once when online, else queued (in
   * call order) until connected().
   *
   * Rejects with a ParleyError whose code is one of: the server's code (failed response);
   * INVALID_FRAME (the result does not match the type's result schema); REQUEST_TIMEOUT (no result
   * within the timeout, counted from this call); TOO_MANY_PENDING (maxPending already pending;
   * immediately); ABORTED (the signal fired, or had already); DISCONNECTED or the closed() code
   * (link lost and the type is not safe to resend, or the connection ended; immediately while
   * closed); INVALID_PARAMS (a bad timeoutMs option); INTERNAL (`send` threw, or `newId` gave a
   * bad or repeated id).
   */
  request<T extends RequestType>(
    type: T,
    params: RequestParams<T>,
    opts: RequestOptions = {},
  ): Promise<RequestResult<T>> {
    const { signal } = opts;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    if (!isTimeout(timeoutMs)) {
      return fail(ErrorCode.INVALID_PARAMS, `${type}: timeoutMs must be in (0, ${MAX_TIMER_MS}], got ${timeoutMs}`);
    }
    if (signal?.aborted) return Promise.reject(aborted(type, signal));
    if (this.link.status === 'closed') return fail(this.link.code, closedMessage(type, this.link.code));
    if (this.entries.size >= this.maxPending) {
      return fail(ErrorCode.TOO_MANY_PENDING, `${type}: ${this.maxPending} requests already pending`);
    }
    const id = this.newId();
    if (!v.is(RequestId, id) || this.entries.has(id)) {
      return fail(ErrorCode.INTERNAL, `${type}: newId gave an invalid or duplicate request id ${JSON.stringify(id)}`);
    }

    return new Promise<RequestResult<T>>((resolve, reject) => {
      const onAbort = () => this.finish(entry, aborted(type, signal as AbortSignal));
      const entry: Pending = {
        id,
        type,
        params,
        phase: 'waiting',
        timeoutMs,
        timer: undefined,
        resolve: resolve as (result: unknown) => void,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      entry.timer = this.platform.timers.setTimeout(() => this.finish(entry, timedOut(entry)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.entries.set(id, entry);
      if (this.link.status === 'online') this.transmit(entry);
    });
  }

  /**
   * Settle the request this response answers. Ignored when the id is unknown, already settled, or
   * was never sent (such an answer cannot be ours).
   */
  handleResponse(frame: ResponseFrame): void {
    const entry = this.entries.get(frame.id);
    if (!entry || entry.phase === 'waiting') return;
    if (!frame.ok) return this.finish(entry, errorFromWire(frame.error));
    const checked = checkResult(entry.type, frame.result);
    this.finish(
      entry,
      checked.ok
        ? { result: checked.value }
        : new ParleyError(ErrorCode.INVALID_FRAME, `${entry.type}: invalid result: ${checked.message}`),
    );
  }

  /** The link is online (authenticated): send every queued request, in call order. */
  connected(): void {
    this.link = { status: 'online' };
    for (const entry of [...this.entries.values()]) {
      // send() may call back into us (e.g. closed()), so re-check both before each send.
      if (this.link.status !== 'online') break;
      if (this.entries.get(entry.id) !== entry || entry.phase === 'sent') continue;
      if (!this.transmit(entry)) break;
    }
  }

  /**
   * The link dropped and will come back. Each request on the wire either requeues (resent with the
   * same id on the next connected()) or fails with OUTCOME_UNKNOWN, per policy.ts. Queued requests
   * stay queued. Timers keep running: the timeout still counts from the call.
   */
  disconnected(): void {
    if (this.link.status === 'online') this.link = { status: 'offline' };
    for (const entry of [...this.entries.values()]) {
      if (entry.phase !== 'sent' || this.entries.get(entry.id) !== entry) continue;
      if (onDisconnect(entry.type, entry.params) === 'requeue') {
        entry.phase = 'requeued';
      } else {
        this.finish(
          entry,
          new ParleyError(
            ErrorCode.OUTCOME_UNKNOWN,
            `${entry.type}: connection lost before the response; not resent since a retry could apply it twice`,
          ),
        );
      }
    }
  }

  /**
   * The connection ended for good (kicked, auth_failed, closed, gave_up): reject every queued and
   * in-flight request with `code`, and reject new ones at once until connected() is called again.
   */
  closed(code: ErrorCode = ErrorCode.DISCONNECTED): void {
    this.link = { status: 'closed', code };
    for (const entry of [...this.entries.values()]) {
      this.finish(entry, new ParleyError(code, closedMessage(entry.type, code)));
    }
  }

  /** Returns false when `send` reports the link is not online; the request then stays queued. */
  private transmit(entry: Pending): boolean {
    let sent: boolean;
    try {
      sent = this.send({ t: 'req', id: entry.id, type: entry.type, params: entry.params });
    } catch (err) {
      this.finish(entry, new ParleyError(ErrorCode.INTERNAL, `${entry.type}: send failed`, { cause: err }));
      return true;
    }
    if (!sent) {
      // The connection knows before it tells us; queue the rest until connected().
      this.link = { status: 'offline' };
      return false;
    }
    entry.phase = 'sent';
    return true;
  }

  /** The one way out of the map: clears the timer and the abort listener, then settles. */
  private finish(entry: Pending, outcome: ParleyError | { result: unknown }): void {
    if (this.entries.get(entry.id) !== entry) return;
    this.entries.delete(entry.id);
    this.platform.timers.clearTimeout(entry.timer);
    entry.detach();
    if (outcome instanceof ParleyError) entry.reject(outcome);
    else entry.resolve(outcome.result);
  }
}

function fail(code: ErrorCode, message: string): Promise<never> {
  return Promise.reject(new ParleyError(code, message));
}

function aborted(type: RequestType, signal: AbortSignal): ParleyError {
  return new ParleyError(ErrorCode.ABORTED, `${type}: aborted`, { cause: signal.reason });
}

function timedOut(entry: Pending): ParleyError {
  const where = entry.phase === 'sent' ? 'no response' : 'still waiting for a connection';
  return new ParleyError(ErrorCode.REQUEST_TIMEOUT, `${entry.type}: timed out after ${entry.timeoutMs} ms (${where})`);
}

function closedMessage(type: RequestType, code: ErrorCode): string {
  return `${type}: connection closed (${code})`;
}
