/**
 * The engine as one tab sees it: a small facade exposed over comlink on that tab's port.
 */
import * as Comlink from 'comlink';
import { ErrorCode, ParleyError, type RequestParams, type RequestResult, type RequestType } from '../../schema';
import type { ConnectionState } from '../connection/state';
import type { Engine } from '../engine/Engine';
import type { AttachRequest, AttachResult, EngineApi, Settled, TabCallbacks } from './api';
import type { EngineHost } from './EngineHost';

export class TabSession implements EngineApi {
  private engine: Engine | null = null;
  private tabId: string | null = null;

  constructor(private readonly host: EngineHost) {}

  async attach(req: AttachRequest, callbacks: TabCallbacks, events: MessagePort): Promise<AttachResult> {
    this.tabId = req.tabId;
    this.engine = await this.host.attach(req, callbacks, events);
    return { workerLock: this.host.workerLock, state: this.engine.getState() };
  }

  private get attached(): Engine {
    if (!this.engine) throw new ParleyError(ErrorCode.CLOSED, 'attach() first');
    return this.engine;
  }

  getState(): ConnectionState {
    return this.attached.getState();
  }

  /**
   * Settles with a Result rather than throwing: comlink copies only an error's name, message and
   * stack across the port, and the caller needs the stable `code`.
   */
  async request<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs?: number): Promise<Settled<RequestResult<T>>> {
    try {
      return { ok: true, value: await this.attached.request(type, params, timeoutMs === undefined ? {} : { timeoutMs }) };
    } catch (err) {
      if (ParleyError.is(err)) return { ok: false, error: { code: err.code, message: err.message } };
      return { ok: false, error: { code: ErrorCode.INTERNAL, message: String((err as Error)?.message ?? err) } };
    }
  }

  reconnect(): void {
    this.attached.reconnect();
  }

  detach(): void {
    if (this.tabId) this.host.detach(this.tabId);
    this.engine = null;
  }
}

/** Expose a fresh TabSession on a port (one per connecting tab). */
export function serveTab(host: EngineHost, port: Comlink.Endpoint): void {
  Comlink.expose(new TabSession(host), port);
}
