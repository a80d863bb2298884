/**
 * The normal case: every tab of the origin shares one SharedWorker, which owns the one socket.
 * Liveness both ways is by Web Locks: the tab holds its lock for life (the worker waits on it to
 * drop the tab), and the worker holds its own (the tab waits on it to learn the worker died).
 */
import * as Comlink from 'comlink';
import { ErrorCode, ParleyError } from '../../schema/errors';
import type { AttachRequest, AttachResult, EngineApi, EventMessage, Settled, TabCallbacks } from '../../worker/protocol';
import { withTimeout } from '../timeout';
import { valueOrThrow, eventsOnAttach, type Link, type LinkSink } from './Link';
import { startSharedWorker } from './workers';

export interface SharedWorkerLinkOptions {
  /** Undefined: the script beside the client (see workers.ts). */
  workerUrl: string | undefined;
  /** Versioned, so a new deploy never joins a stale worker. */
  workerName: string;
  attach: AttachRequest;
  /** The encrypted engine's worker (parley-worker-encrypted.js) is started. */
  encrypted: boolean;
  callbacks: TabCallbacks;
  callTimeoutMs: number;
}

/** `started`: this link's worker, if the caller started it already (connect() does, to start early). */
export async function openSharedWorkerLink(opts: SharedWorkerLinkOptions, sink: LinkSink, started?: SharedWorker): Promise<Link> {
  const worker = started ?? startSharedWorker(opts.workerUrl, opts.workerName, opts.encrypted);
  const api = Comlink.wrap<EngineApi>(worker.port);
  const channel = new MessageChannel();
  let closed = false;
  channel.port1.onmessage = (e: MessageEvent<EventMessage>) => {
    if (closed || !e.data) return;
    if (e.data.kind === 'event') sink.onEvent(e.data.event);
    else if (e.data.kind === 'live') sink.onLive(e.data.id, e.data.update);
  };
  const attached = valueOrThrow(await withTimeout(
    api.attach(opts.attach, Comlink.proxy(opts.callbacks), Comlink.transfer(channel.port2, [channel.port2])) as Promise<Settled<AttachResult>>,
    opts.callTimeoutMs,
    'attach',
  ));
  /** Calls in flight: a dead worker never answers them, so they are failed at once instead of at their timeout. */
  const inFlight = new Set<(err: Error) => void>();
  const failInFlight = (why: string) => {
    for (const reject of inFlight) reject(new ParleyError(ErrorCode.DISCONNECTED, why));
    inFlight.clear();
  };
  // Granted when the worker dies (e.g. killed under memory pressure): reattach to a fresh one.
  void navigator.locks.request(attached.workerLock, () => {
    failInFlight('the engine stopped during this call');
    if (!closed) sink.onLost();
  });
  for (const e of eventsOnAttach(attached)) sink.onEvent(e);

  return {
    kind: 'shared-worker',
    engineChanges: 0,
    invoke: (method, args, timeoutMs) =>
      new Promise((resolve, reject) => {
        inFlight.add(reject);
        withTimeout((api[method] as unknown as (...a: unknown[]) => Promise<never>)(...args), timeoutMs, method)
          .then(resolve, reject)
          .finally(() => inFlight.delete(reject));
      }),
    close() {
      if (closed) return;
      closed = true;
      failInFlight('the link to the engine was closed');
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
