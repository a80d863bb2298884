/**
 * The local-store benchmarks' page: connects to the store SharedWorker and exposes
 * `window.storeBench(op, arg)`, which resolves with the worker's answer or rejects with its error.
 * Timing happens in the worker; this page only carries the numbers back.
 */
import type { StoreOps } from './store.worker';

type Op = keyof StoreOps;
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string; stack?: string } };

const worker = new SharedWorker('/bench/store.worker.js', { name: new URLSearchParams(location.search).get('worker') ?? 'store-bench' });
const pending = new Map<number, (reply: Reply) => void>();
let seq = 0;
worker.port.onmessage = ({ data }: MessageEvent<Reply>) => {
  pending.get(data.id)?.(data);
  pending.delete(data.id);
};

function storeBench<K extends Op>(op: K, arg: Parameters<StoreOps[K]>[0]): Promise<Awaited<ReturnType<StoreOps[K]>>> {
  return new Promise((resolve, reject) => {
    const id = ++seq;
    pending.set(id, (reply) => {
      if (reply.ok) resolve(reply.value as Awaited<ReturnType<StoreOps[K]>>);
      else reject(Object.assign(new Error(`${reply.error.name}: ${reply.error.message}`), { stack: reply.error.stack }));
    });
    worker.port.postMessage({ id, op, arg });
  });
}

Object.assign(globalThis, { storeBench, storeBenchReady: true });
