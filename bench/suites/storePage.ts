/**
 * The Node side of the local-store benchmarks: a bench server, a fresh browser context (its own
 * IndexedDB) and the store page, whose SharedWorker does the timing. `call` runs one of the
 * worker's ops (bench/browser/store.worker.ts) and returns its result.
 */
import type { BenchEnv } from '../lib/types';
import type { StoreOps } from '../browser/store.worker';

export type StoreCall = <K extends keyof StoreOps>(op: K, arg: Parameters<StoreOps[K]>[0]) => Promise<Awaited<ReturnType<StoreOps[K]>>>;

declare const storeBench: StoreCall;

export async function withStorePage<T>(env: BenchEnv, body: (call: StoreCall) => Promise<T>): Promise<T> {
  const server = await env.startServer();
  try {
    const context = await env.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/bench/store.html`);
      await page.waitForFunction(() => (globalThis as { storeBenchReady?: boolean }).storeBenchReady === true);
      const call: StoreCall = (op, arg) =>
        page.evaluate(([o, a]) => storeBench(o, a as never), [op, arg] as const) as Promise<Awaited<ReturnType<StoreOps[typeof op]>>>;
      const { jspi } = await call('info', undefined as never);
      if (!jspi) throw new Error('this Chromium has no JSPI (WebAssembly.Suspending): the shipped build cannot be measured');
      return await body(call);
    } finally {
      await context.close();
    }
  } finally {
    await server.stop();
  }
}

/** Database names unique within the page's origin, so no run reopens another's file. */
export function freshNames(prefix: string): () => string {
  let k = 0;
  return () => `${prefix}-${Date.now().toString(36)}-${k++}`;
}

/** Runs one measured variant and logs how long it took in all (opens and deletes included). */
export async function variant<T>(env: BenchEnv, label: string, body: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await body();
  env.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/**
 * A worker's breakdown (bench/browser/storeProfile.ts) as note lines: durations in ms and per
 * item (`per` items, e.g. messages), counts as they are, µs figures as measured.
 */
export function breakdownNotes(title: string, breakdown: Record<string, number>, per: number, item: string): string[] {
  return Object.entries(breakdown).map(([label, v]) => {
    if (label.endsWith(' ms')) return `${title}: ${label.slice(0, -3)}: ${v.toFixed(1)} ms (${((v * 1000) / per).toFixed(1)} µs/${item})`;
    if (label.includes('µs')) return `${title}: ${label}: ${v.toFixed(1)}`;
    return `${title}: ${label}: ${Number.isInteger(v) ? v : v.toFixed(1)}`;
  });
}

/** Runs `profile` `times` times and keeps the run whose `wallKey` is the median: one consistent breakdown. */
export async function medianProfile(times: number, wallKey: string, profile: () => Promise<Record<string, number>>): Promise<Record<string, number>> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < times; i++) runs.push(await profile());
  runs.sort((a, b) => a[wallKey]! - b[wallKey]!);
  return runs[Math.floor((runs.length - 1) / 2)]!;
}
