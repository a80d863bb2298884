/**
 * A tab's line to the engine, wherever the engine runs: a SharedWorker, or (fallback) a dedicated
 * Worker in the leader tab reached directly or over a BroadcastChannel. Every method is bounded
 * in time by the link itself.
 */
import type { RequestParams, RequestResult, RequestType } from '../../schema';
import type { ConnectionState } from '../../worker/connection/state';
import type { EngineEvent } from '../../worker/engine/events';
import type { Settled } from '../../worker/host/api';

export interface Link {
  readonly kind: 'shared-worker' | 'leader' | 'follower';
  request<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs: number | undefined, callTimeoutMs: number): Promise<Settled<RequestResult<T>>>;
  getState(): Promise<ConnectionState>;
  reconnect(): Promise<void>;
  close(): void;
}

/** What a link reports to the client that owns it. */
export interface LinkSink {
  onEvent(event: EngineEvent): void;
  /** The engine behind this link died (worker killed, leader tab closed): open a new link. */
  onLost(): void;
}
