/**
 * What a storefront tab holds: the connection state, typed events and typed requests, over a link
 * to the one engine of this origin and user. If the engine dies (a killed SharedWorker, a closed
 * leader tab) the client opens a new link by itself; listeners and the API stay the same.
 */
import { ErrorCode, ParleyError } from '../schema/errors';
import type { RequestParams, RequestResult, RequestType } from '../schema/requests';
import type { ConnectionState } from '../worker/connection/state';
import { Emitter } from '../worker/engine/Emitter';
import type { EngineEvent, EngineEventOf, EngineEventType } from '../worker/engine/events';
import type { Link, LinkSink } from './links/Link';

export interface ClientRequestOptions {
  /** Engine-side timeout for this request (default: the engine's, 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Opens a link to the engine; called again when the engine behind the previous link died. */
export type LinkOpener = (sink: LinkSink) => Promise<Link>;

/** Extra time the tab waits beyond the engine's own timeout, so the engine's error (with its code) wins. */
const PORT_MARGIN_MS = 2_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Reattaching after the engine died: attempts and the pause between them. */
const REATTACH_ATTEMPTS = 5;
const REATTACH_PAUSE_MS = 200;

export class ParleyClient {
  private link: Link | null = null;
  private current: ConnectionState = { status: 'idle' };
  private readonly emitter = new Emitter<EngineEvent>();
  /** Highest push cursor passed to listeners: replays after a handover are dropped here. */
  private lastCursor = 0;
  private closed = false;
  private reattaching: Promise<void> | null = null;

  private constructor(private readonly open: LinkOpener) {}

  static async create(open: LinkOpener): Promise<ParleyClient> {
    const client = new ParleyClient(open);
    client.link = await open(client.sink());
    return client;
  }

  private sink(): LinkSink {
    return {
      onEvent: (e) => this.onEvent(e),
      onLost: () => void this.reattach(),
    };
  }

  /** The connection state as last reported by the engine. */
  get state(): ConnectionState {
    return this.current;
  }

  /** How this tab reaches the engine. */
  get transport(): Link['kind'] | 'none' {
    return this.link?.kind ?? 'none';
  }

  /** Listen to one event type, or '*' for all. Returns the unsubscribe function. */
  on<T extends EngineEventType>(type: T, listener: (event: EngineEventOf<T>) => void): () => void;
  on(type: '*', listener: (event: EngineEvent) => void): () => void;
  on(type: string, listener: (event: never) => void): () => void {
    return this.emitter.on((e) => {
      if (type === '*' || e.type === type) (listener as (e: EngineEvent) => void)(e);
    });
  }

  async request<T extends RequestType>(type: T, params: RequestParams<T>, opts: ClientRequestOptions = {}): Promise<RequestResult<T>> {
    if (this.closed) throw new ParleyError(ErrorCode.CLOSED, 'the client is closed');
    if (opts.signal?.aborted) throw new ParleyError(ErrorCode.ABORTED, 'aborted before sending');
    const link = await this.usableLink();
    const engineTimeout = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const call = link.request(type, params, opts.timeoutMs, engineTimeout + PORT_MARGIN_MS);
    const settled = await (opts.signal ? abortable(call, opts.signal) : call);
    if (!settled.ok) throw new ParleyError(settled.error.code, settled.error.message);
    return settled.value;
  }

  /** Leave kicked / auth failed / gave up and connect again now (e.g. after a new login). */
  async reconnect(): Promise<void> {
    await (await this.usableLink()).reconnect();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link?.close();
    this.link = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private async usableLink(): Promise<Link> {
    if (this.reattaching) await this.reattaching;
    if (!this.link) throw new ParleyError(ErrorCode.DISCONNECTED, 'no engine is reachable');
    return this.link;
  }

  private onEvent(e: EngineEvent): void {
    if (this.closed) return;
    if (e.type === 'receive') {
      if (e.cursor <= this.lastCursor) return;
      this.lastCursor = e.cursor;
    }
    if (e.type === 'state') this.current = e.state;
    this.emitter.emit(e);
  }

  private reattach(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.reattaching ??= (async () => {
      this.link?.close();
      this.link = null;
      this.onEvent({ type: 'state', state: { status: 'idle' } });
      for (let i = 0; i < REATTACH_ATTEMPTS && !this.closed; i++) {
        try {
          this.link = await this.open(this.sink());
          return;
        } catch {
          await new Promise((r) => setTimeout(r, REATTACH_PAUSE_MS * 2 ** i));
        }
      }
    })().finally(() => {
      this.reattaching = null;
    });
    return this.reattaching;
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ParleyError(ErrorCode.ABORTED, 'aborted by the caller'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
