/**
 * The worker bundle's entry. As a SharedWorker it serves every tab that connects; as a dedicated
 * Worker (the fallback where SharedWorker is missing) it serves the one leader tab. It only routes
 * ports: the EngineHost does the work.
 */
import { EngineHost, type StoreOpener } from './host/EngineHost';
import { serveTab } from './host/TabSession';
import { browserPlatform } from './platform';
import { LocalStore } from './store/LocalStore';
import { openWaSqlite } from './store/waSqliteDriver';

declare const self: {
  onconnect?: ((e: MessageEvent) => void) | null;
  navigator: Navigator;
} & EventTarget;

/** One database per user: switching accounts in one browser never mixes data. */
const openStore: StoreOpener = async (user, parties) => {
  const driver = await openWaSqlite({ name: `parley-${user}` });
  try {
    const store = await LocalStore.open(driver, { userId: user, partyIds: parties, now: Date.now });
    return { store, durability: driver.durability };
  } catch (err) {
    await driver.close();
    throw err;
  }
};

const workerId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const host = new EngineHost(browserPlatform(), self.navigator.locks ?? null, workerId, openStore);
const isShared = typeof (globalThis as { SharedWorkerGlobalScope?: unknown }).SharedWorkerGlobalScope !== 'undefined';

if (isShared) {
  self.onconnect = (e: MessageEvent) => {
    const port = e.ports[0];
    if (port) serveTab(host, port);
  };
} else {
  serveTab(host, self as unknown as import('comlink').Endpoint);
}
