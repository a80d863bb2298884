/**
 * What crosses the tab ↔ engine boundary. Only plain data and ParleyError codes cross it: class
 * instances and AbortSignals do not survive a MessagePort, so timeouts are numbers and errors are
 * matched by `code`.
 */
import type { ErrorCode, RequestParams, RequestResult, RequestType } from '../../schema';
import type { ConnectionState } from '../connection/state';
import type { EngineEvent } from '../engine/events';
import type { EngineOptions } from '../options';

/** Exposed by each tab to the engine. */
export interface TabCallbacks {
  /** The host page's token provider. `fresh`: the previous token was refused as expired. */
  getToken(fresh: boolean): Promise<string>;
}

export interface AttachRequest {
  tabId: string;
  /** Name of the Web Lock the tab holds for its whole life; its release tells the engine the tab died. */
  tabLock: string;
  options: EngineOptions;
}

export interface AttachResult {
  /** Name of the Web Lock the engine's worker holds for its whole life; its release tells tabs it died. */
  workerLock: string;
  state: ConnectionState;
}

/** The engine's API as one tab sees it (a TabSession). */
export interface EngineApi {
  attach(req: AttachRequest, callbacks: TabCallbacks, events: MessagePort): Promise<AttachResult>;
  getState(): ConnectionState;
  request<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs?: number): Promise<Settled<RequestResult<T>>>;
  reconnect(): void;
  detach(): void;
}

/** A result that crosses a port intact: errors as their code and message. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };

/** Frames on the events port, worker → tab. */
export type EventMessage = { kind: 'event'; event: EngineEvent };
