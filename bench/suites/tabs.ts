/**
 * Ten tabs of one profile showing one conversation: how many WebSockets the server holds (its
 * /metrics gauge parley_ws_connections) and how much JavaScript heap the browser holds for them,
 * read over CDP after a full GC: each tab's (Runtime.getHeapUsage on the page) and, for Parley, the
 * SharedWorker's (attached through a browser CDP session). Parley: one engine, one socket. Baseline:
 * a per-tab SDK in each tab, a socket each. Each run sends a few messages to all tabs first.
 */
import { repeat } from '../lib/stats';
import type { BenchEnv, BenchServer, Benchmark, Figure } from '../lib/types';
import { MB, conversationOf, openTabs, pageHeap, seed, sharedWorkerHeaps, shopSender, stuckNote, type HeapUse, type ShopSender, type TabKind } from '../baselines/perTabBench';
import { fanoutText, type BenchTab } from '../browser/tabsCommon';

/** Messages sent to the tabs in each run before measuring. */
const BURST = 5;
/** Messages in the conversation before the tabs open (each tab shows the latest 50); fewer under --quick. */
const HISTORY = { full: 50, quick: 10 };

declare const bench: BenchTab;

interface RunResult {
  sockets: number;
  tabs: HeapUse[];
  worker: HeapUse[];
}

async function measure(env: BenchEnv, srv: BenchServer, sender: ShopSender, kind: TabKind, tabCount: number, stuck: string[]): Promise<RunResult[]> {
  const cid = await conversationOf(srv, kind);
  await seed(sender, cid, env.size(HISTORY.full, HISTORY.quick));
  // Only the shop's socket is open now (the previous context's may take a moment to be noticed).
  await gauge(srv, 1);
  const context = await env.newContext();
  try {
    const tabs = await openTabs(context, srv.url, kind, tabCount, { cid }, (why) => {
      stuck.push(why);
      env.log(`opened a tab again: ${why}`);
    });
    return await repeat(env, async (run) => {
      await Promise.all(tabs.map((t) => t.evaluate((r) => bench.record(r), run)));
      for (let n = 0; n < BURST; n++) await sender.send(cid, fanoutText(run, n, Date.now()));
      for (const t of tabs) await t.waitForFunction((n) => bench.arrivals().filter((a) => a.path === 'view').length >= n, BURST, { timeout: 20_000 });
      const sockets = (await srv.metric('parley_ws_connections')) - 1;
      const heaps: HeapUse[] = [];
      for (const t of tabs) heaps.push(await pageHeap(t));
      return { sockets, tabs: heaps, worker: kind === 'parley' ? await sharedWorkerHeaps(await env.browser(), tabs[0]!) : [] };
    });
  } finally {
    await context.close();
  }
}

/** Wait until the server's socket gauge reads `value`. */
async function gauge(srv: BenchServer, value: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await srv.metric('parley_ws_connections')) !== value) {
    if (Date.now() > deadline) throw new Error(`parley_ws_connections stayed at ${await srv.metric('parley_ws_connections')}, expected ${value}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sum = (hs: HeapUse[], k: keyof HeapUse) => hs.reduce((n, h) => n + h[k], 0);
const totalMB = (r: RunResult, k: keyof HeapUse = 'used') => (sum(r.tabs, k) + sum(r.worker, k)) / MB;

function fig(key: string, label: string, unit: Figure['unit'], role: Figure['role'], runs: number[], extra: Partial<Figure> = {}): Figure {
  return { key, label, unit, better: 'lower', role, runs, ...extra };
}

export const tabs: Benchmark = {
  id: 'tabs',
  title: 'Ten open tabs: server sockets and memory',
  async run(env) {
    const tabCount = env.size(10, 2);
    const stuck: string[] = [];
    const srv = await env.startServer({ sessionPolicy: 'multi' });
    try {
      const sender = await shopSender(srv);
      const parley = await measure(env, srv, sender, 'parley', tabCount, stuck);
      const base = await measure(env, srv, sender, 'pertab', tabCount, stuck);
      await sender.close();
      const avgTabMB = (rs: RunResult[]) => rs.map((r) => sum(r.tabs, 'used') / r.tabs.length / MB);
      return {
        figures: [
          fig('sockets', `server WebSockets, ${tabCount} tabs`, 'count', 'parley', parley.map((r) => r.sockets), { vs: 'base-sockets' }),
          fig('base-sockets', `server WebSockets, ${tabCount} tabs (per-tab SDK)`, 'count', 'baseline', base.map((r) => r.sockets)),
          fig('heap', `JS heap, worker + ${tabCount} tabs`, 'MB', 'parley', parley.map((r) => totalMB(r)), { vs: 'base-heap' }),
          fig('base-heap', `JS heap, ${tabCount} tabs (per-tab SDK)`, 'MB', 'baseline', base.map((r) => totalMB(r))),
          fig('tab-heap', 'JS heap per tab', 'MB', 'parley', avgTabMB(parley), { vs: 'base-tab-heap' }),
          fig('base-tab-heap', 'JS heap per tab (per-tab SDK)', 'MB', 'baseline', avgTabMB(base)),
          fig('worker-heap', 'JS heap of the SharedWorker', 'MB', 'parley', parley.map((r) => sum(r.worker, 'used') / MB)),
          fig('worker-buffers', 'ArrayBuffers + wasm memory of the SharedWorker (wa-sqlite)', 'MB', 'parley', parley.map((r) => sum(r.worker, 'buffers') / MB)),
          fig('total', `JS heap + ArrayBuffers/wasm, worker + ${tabCount} tabs`, 'MB', 'parley', parley.map((r) => totalMB(r) + totalMB(r, 'buffers')), { vs: 'base-total' }),
          fig('base-total', `JS heap + ArrayBuffers, ${tabCount} tabs (per-tab SDK)`, 'MB', 'baseline', base.map((r) => totalMB(r) + totalMB(r, 'buffers'))),
        ],
        notes: [
          `${tabCount} tabs of one profile, each showing one conversation's latest 50 of ${env.size(HISTORY.full, HISTORY.quick)}+ messages; each run ${BURST} more messages reach every tab, then: the server's parley_ws_connections gauge minus the shop's own socket, and Runtime.getHeapUsage after HeapProfiler.collectGarbage for each page and the SharedWorker (plus a heap snapshot of the worker).`,
          ...stuckNote(stuck),
          "JS heap = V8's used heap after a GC. ArrayBuffers/wasm = backing stores outside it: for Parley's worker, wa-sqlite's linear memory (SQLite's page cache, up to 16 MiB, lives there), read from a heap snapshot; for pages, Runtime.getHeapUsage's backingStorageSize. Not counted for either: compiled code (the worker's wasm module is ~1.7 MB) and IndexedDB's memory in the browser process.",
        ],
      };
    } finally {
      await srv.stop();
    }
  },
};
