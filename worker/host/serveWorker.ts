/**
 * What a worker bundle does: as a SharedWorker it serves every tab that connects; as a dedicated
 * Worker (the fallback where SharedWorker is missing) it serves the one leader tab. It only routes
 * ports: one EngineHost does the work, on the databases `openStore` opens.
 */
import { browserPlatform } from '../platform';
import { EngineHost, type StoreOpener, type UserWiper } from './EngineHost';
import { serveTab } from './TabSession';

declare const self: {
  onconnect?: ((e: MessageEvent) => void) | null;
  navigator: Navigator;
} & EventTarget;

export function serveWorker(openStore: StoreOpener, wipeUser: UserWiper | null = null): void {
  const workerId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const host = new EngineHost(browserPlatform(), self.navigator.locks ?? null, workerId, openStore, wipeUser);
  const isShared = typeof (globalThis as { SharedWorkerGlobalScope?: unknown }).SharedWorkerGlobalScope !== 'undefined';
  if (isShared) {
    self.onconnect = (e: MessageEvent) => {
      const port = e.ports[0];
      if (port) serveTab(host, port);
    };
  } else {
    serveTab(host, self as unknown as import('comlink').Endpoint);
  }
}
