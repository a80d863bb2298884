/**
 * The normal case: every tab of the origin shares one SharedWorker, which owns the one socket.
 * Liveness both ways is by Web Locks: the tab holds its lock for life (the worker waits on it to
 * drop the tab), and the worker holds its own (the tab waits on it to learn the worker died).
 */
import * as Comlink from 'comlink';
import type { RequestParams, RequestResult, RequestType } from '../../schema';
import type { ConnectionState } from '../../worker/connection/state';
import type { AttachRequest, EngineApi, EventMessage, Settled, TabCallbacks } from '../../worker/host/api';
import { withTimeout } from '../timeout';
import type { Link, LinkSink } from './Link';

export interface SharedWorkerLinkOptions {
  workerUrl: string;
  /** Versioned, so a new deploy never joins a stale worker. */
  workerName: string;
  attach: AttachRequest;
  callbacks: TabCallbacks;
  callTimeoutMs: number;
}

export async function openSharedWorkerLink(opts: SharedWorkerLinkOptions, sink: LinkSink): Promise<Link> {
  const worker = new SharedWorker(opts.workerUrl, { name: opts.workerName });
  const api = Comlink.wrap<EngineApi>(worker.port);
  const channel = new MessageChannel();
  let closed = false;
  channel.port1.onmessage = (e: MessageEvent<EventMessage>) => {
    if (!closed && e.data?.kind === 'event') sink.onEvent(e.data.event);
  };
  const attached = await withTimeout(
    api.attach(opts.attach, Comlink.proxy(opts.callbacks), Comlink.transfer(channel.port2, [channel.port2])),
    opts.callTimeoutMs,
    'SharedWorker attach',
  );
  // Granted when the worker dies (e.g. killed under memory pressure): reattach to a fresh one.
  void navigator.locks.request(attached.workerLock, () => {
    if (!closed) sink.onLost();
  });
  sink.onEvent({ type: 'state', state: attached.state });

  return {
    kind: 'shared-worker',
    request: <T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs: number | undefined, callTimeoutMs: number) =>
      withTimeout(api.request(type, params, timeoutMs) as Promise<Settled<RequestResult<T>>>, callTimeoutMs, `request ${type}`),
    getState: () => withTimeout(api.getState() as Promise<ConnectionState>, opts.callTimeoutMs, 'getState'),
    reconnect: () => withTimeout(api.reconnect(), opts.callTimeoutMs, 'reconnect'),
    close() {
      if (closed) return;
      closed = true;
      void api.detach().catch(() => {});
      channel.port1.close();
      api[Comlink.releaseProxy]();
      worker.port.close();
    },
  };
}

/** Hold a Web Lock until released or the tab dies; resolves with the release function once held. */
export function holdLock(name: string): Promise<() => void> {
  return new Promise((held) => {
    void navigator.locks.request(name, () => new Promise<void>((release) => held(release)));
  });
}
