/**
 * The round-trip benchmark's page: sequential calls to rt.worker.js (a SharedWorker), each with a
 * 1 KB payload, timed here with performance.now(). `window.rt.run(n)` returns every call's time
 * in ms for both ways of calling: comlink (Parley's tab → engine RPC) and raw postMessage on a
 * MessagePort to the same worker.
 */
import * as Comlink from 'comlink';
import type { EchoApi } from './rt.worker';

export interface RoundTripSamples {
  comlink: number[];
  raw: number[];
  /** performance.now()'s resolution here: coarse (100 µs) unless the page is cross-origin isolated. */
  crossOriginIsolated: boolean;
}

/** ~1 KB of JSON-like message, as a tab would send or receive. */
const PAYLOAD = { id: '6f1d0c1e-8b1a-4a53-9a0e-2f7c3c1d9b10', conversationId: 'c_bench', text: 'x'.repeat(940) };

const worker = new SharedWorker('/bench/rt.worker.js', { name: `rt-${Math.random()}` });
const api = Comlink.wrap<EchoApi>(worker.port);
const channel = new MessageChannel();
await api.rawEcho(Comlink.transfer(channel.port2, [channel.port2]));

let answer: ((v: unknown) => void) | null = null;
channel.port1.onmessage = (e) => answer?.(e.data);
const rawEcho = (value: unknown): Promise<unknown> =>
  new Promise((resolve) => {
    answer = resolve;
    channel.port1.postMessage(value);
  });

async function time(n: number, call: () => Promise<unknown>): Promise<number[]> {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    out[i] = performance.now() - t0;
  }
  return out;
}

async function run(n: number): Promise<RoundTripSamples> {
  // Interleaved in blocks, so a burst of machine noise lands on both.
  const comlink: number[] = [];
  const raw: number[] = [];
  const block = Math.max(1, Math.min(100, n));
  for (let done = 0; done < n; done += block) {
    const k = Math.min(block, n - done);
    comlink.push(...(await time(k, () => api.echo(PAYLOAD))));
    raw.push(...(await time(k, () => rawEcho(PAYLOAD))));
  }
  return { comlink, raw, crossOriginIsolated: self.crossOriginIsolated };
}

(window as unknown as { rt: { run: typeof run } }).rt = { run };
document.body.dataset.ready = '1';
