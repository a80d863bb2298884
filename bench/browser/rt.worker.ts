/**
 * The round-trip benchmark's SharedWorker: one echo reachable two ways from each tab, so the two
 * differ only in the RPC layer. `echo` over comlink on the connecting port (how tabs call Parley's
 * engine), and a bare echo on a MessagePort the tab hands over (how the engine's events reach tabs).
 */
import * as Comlink from 'comlink';

declare const self: { onconnect: ((e: MessageEvent) => void) | null };

/** What rt.page.ts calls through comlink. */
export interface EchoApi {
  echo<T>(value: T): T;
  /** Answer every message on `port` with the same data (raw postMessage, no RPC layer). */
  rawEcho(port: MessagePort): void;
}

const api: EchoApi = {
  echo: (value) => value,
  rawEcho(port) {
    port.onmessage = (e) => port.postMessage(e.data);
  },
};

self.onconnect = (e: MessageEvent) => {
  const port = e.ports[0];
  if (port) Comlink.expose(api, port);
};
