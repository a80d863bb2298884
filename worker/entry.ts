/**
 * The worker bundle's entry. As a SharedWorker it serves every tab that connects; as a dedicated
 * Worker (the fallback where SharedWorker is missing) it serves the one leader tab. It only routes
 * ports: the EngineHost does the work.
 */
import { EngineHost } from './host/EngineHost';
import { serveTab } from './host/TabSession';
import { browserPlatform } from './platform';

declare const self: {
  onconnect?: ((e: MessageEvent) => void) | null;
  navigator: Navigator;
  name?: string;
} & EventTarget & { postMessage: (m: unknown) => void };

const workerId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const host = new EngineHost(browserPlatform(), self.navigator.locks ?? null, workerId);
const isShared = typeof (globalThis as { SharedWorkerGlobalScope?: unknown }).SharedWorkerGlobalScope !== 'undefined';

if (isShared) {
  self.onconnect = (e: MessageEvent) => {
    const port = e.ports[0];
    if (port) serveTab(host, port);
  };
} else {
  serveTab(host, self as unknown as import('comlink').Endpoint);
}
