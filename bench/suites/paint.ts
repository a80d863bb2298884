/**
 * Time to paint a conversation's latest 50 messages, from navigation start to the frame after the
 * 50 rows are in the DOM (requestAnimationFrame after insertion), measured in the page. The
 * conversation holds 200 messages, stored locally beforehand (a tab opened once, synced, closed).
 * - cold: the first tab of the profile. Parley: SharedWorker start, wasm, database open, query; in
 *   parallel the page reads the conversation's snapshot (client readSnapshot: one IndexedDB get)
 *   and paints it if it comes first. `painted` is the first full page, snapshot or live; the live
 *   result's own paint is reported too (cold-live).
 * - warm: a second tab while the first is open. Parley: the engine is running.
 * Baseline: the per-tab SDK, which reads the 50 from its IndexedDB and renders. Both pages render
 * with the same minimal renderer (bench/browser/tabsCommon.ts), not the UI kit: this measures the
 * engines.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { median, repeat, rotation } from '../lib/stats';
import type { BenchEnv, Benchmark, Figure } from '../lib/types';
import { contextIdOf, conversationOf, openTab, paintMarks, seed, sharedWorkersGone, shopSender, tabUrl, type TabKind } from '../baselines/perTabBench';
import type { BenchTab, PaintMarks } from '../browser/tabsCommon';
import { msFigure } from '../lib/figures';

const ROWS = 50;
/** Pause after the cold tab is online before the warm one opens (a shopper opens a second tab later). */
const SETTLE_MS = 300;
const PAINT_RUNS_FACTOR = 3;

interface RunResult {
  cold: PaintMarks;
  warm: PaintMarks;
}

/** A profile with the conversation stored, whose `run()` measures one cold and one warm tab. */
async function prepare(env: BenchEnv, browser: Browser, baseUrl: string, kind: TabKind, cid: string, stored: number) {
  const context: BrowserContext = await env.newContext();
  // Sync once: a tab that shows all `stored` messages has them in its local database.
  const first = await openTab(context, baseUrl, kind, { cid, rows: stored });
  await paintMarks(first, 60_000);
  const contextId = await contextIdOf(first);
  await first.close();
  await sharedWorkersGone(browser, contextId);

  const url = tabUrl(baseUrl, kind, { cid, rows: ROWS });
  return {
    async run(): Promise<RunResult> {
      const cold = await context.newPage();
      await cold.goto(url);
      const coldMarks = await allMarks(cold);
      await cold.evaluate(() => (window as unknown as { bench: { ready: Promise<void> } }).bench.ready);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const warm = await context.newPage();
      await warm.goto(url);
      const warmMarks = await allMarks(warm);
      await warm.close();
      await cold.close();
      // Closing the profile's last tab ends the SharedWorker: the next run is cold again.
      await sharedWorkersGone(browser, contextId);
      return { cold: coldMarks, warm: warmMarks };
    },
    close: () => context.close(),
  };
}

/**
 * Parley's and the SDK's runs alternate, each going first in turn, so a drift of the machine or the
 * browser over the suite weighs on both alike; three times the usual runs, as a first paint's
 * spread is ±40 % here and the verdict compares two medians.
 */
async function measureBoth(env: BenchEnv, browser: Browser, baseUrl: string, cids: Record<TabKind, string>, stored: number) {
  const kinds: TabKind[] = ['parley', 'pertab'];
  const profiles = await Promise.all(kinds.map((k) => prepare(env, browser, baseUrl, k, cids[k], stored)));
  try {
    const results: Record<TabKind, RunResult[]> = { parley: [], pertab: [] };
    await repeat({ runs: env.runs * PAINT_RUNS_FACTOR, warmups: env.warmups }, async (run) => {
      for (const i of rotation([0, 1], run)) {
        const result = await profiles[i]!.run();
        if (run >= 0) results[kinds[i]!].push(result);
      }
    });
    return results;
  } finally {
    await Promise.all(profiles.map((p) => p.close()));
  }
}

/** The marks once the live result is painted too (a snapshot may have been painted first). */
async function allMarks(page: Page): Promise<PaintMarks> {
  await paintMarks(page);
  await page.waitForFunction(() => typeof (window as { bench?: BenchTab }).bench?.marks.livePainted === 'number', undefined, { timeout: 20_000 });
  return page.evaluate(() => (window as unknown as { bench: BenchTab }).bench.marks);
}

/** "imported 40, opened 210, first result 230, painted 245" (medians, ms since navigation start). */
function breakdown(runs: PaintMarks[]): string {
  const m = (k: keyof PaintMarks) => {
    const v = runs.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
    return v.length ? median(v).toFixed(0) : null;
  };
  const parts: [keyof PaintMarks, string][] = [
    ['start', 'module started'],
    ['imported', 'client imported'],
    ['opened', 'engine attached / DB open'],
    ['firstResult', 'first 50 rows at hand'],
    ['snapshotPainted', 'snapshot painted'],
    ['livePainted', 'live result painted'],
  ];
  return parts.flatMap(([k, label]) => (m(k) === null ? [] : [`${label} ${m(k)}`])).join(', ');
}

export const paint: Benchmark = {
  id: 'paint',
  title: 'Time to paint the latest 50 messages',
  async run(env) {
    // ≥ 200 as the issue asks; --quick only exercises the harness.
    const stored = env.size(200, 60);
    const srv = await env.startServer({ sessionPolicy: 'multi' });
    const browser = await env.browser();
    try {
      const sender = await shopSender(srv);
      const cids = { parley: await conversationOf(srv, 'parley'), pertab: await conversationOf(srv, 'pertab') };
      await seed(sender, cids.parley, stored);
      await seed(sender, cids.pertab, stored);
      await sender.close();
      const { parley, pertab: base } = await measureBoth(env, browser, srv.url, cids, stored);
      const painted = (rs: RunResult[], which: keyof RunResult) => rs.map((r) => r[which].painted!);
      const livePainted = (rs: RunResult[], which: keyof RunResult) => rs.map((r) => r[which].livePainted!);
      const snapshotShare = (rs: RunResult[], which: keyof RunResult) => rs.filter((r) => r[which].snapshotPainted !== undefined && r[which].snapshotPainted === r[which].painted).length;
      // The page's own loading (process, HTML, script) is the same for both; this is what follows it.
      const engine = (rs: RunResult[], which: keyof RunResult) => rs.map((r) => r[which].painted! - r[which].start!);
      return {
        figures: [
          msFigure('warm', 'latest 50 painted, warm (2nd tab, engine running)', 'parley', painted(parley, 'warm'), { target: { op: '<=', value: 50 }, vs: 'base-warm' }),
          msFigure('base-warm', 'latest 50 painted, 2nd tab (per-tab SDK from IndexedDB)', 'baseline', painted(base, 'warm')),
          msFigure('warm-live', 'warm, the live result painted', 'parley', livePainted(parley, 'warm'), { vs: 'base-warm' }),
          msFigure('cold', 'latest 50 painted, cold (1st tab: worker start, DB open)', 'parley', painted(parley, 'cold'), { target: { op: '<=', value: 1, ofBaseline: true }, vs: 'base-cold' }),
          msFigure('base-cold', 'latest 50 painted, 1st tab (per-tab SDK from IndexedDB)', 'baseline', painted(base, 'cold')),
          msFigure('cold-live', 'cold, the live result painted (after the snapshot)', 'parley', livePainted(parley, 'cold'), { vs: 'base-cold' }),
          msFigure('warm-engine', 'warm, from the page module start', 'parley', engine(parley, 'warm'), { vs: 'base-warm-engine' }),
          msFigure('base-warm-engine', '2nd tab, from the page module start (per-tab SDK)', 'baseline', engine(base, 'warm')),
          msFigure('cold-engine', 'cold, from the page module start', 'parley', engine(parley, 'cold'), { vs: 'base-cold-engine' }),
          msFigure('base-cold-engine', '1st tab, from the page module start (per-tab SDK)', 'baseline', engine(base, 'cold')),
        ],
        notes: [
          `From navigation start to the frame after ${ROWS} rows are in the DOM; ${stored} messages stored locally beforehand; minimal renderer, no UI kit. Pages and bundles come from the loopback server (no-cache: revalidated on every load). Parley's and the SDK's runs alternate, each first in turn; ${parley.length} runs each.`,
          `Parley cold, medians (ms): ${breakdown(parley.map((r) => r.cold))}; the snapshot came first in ${snapshotShare(parley, 'cold')} of ${parley.length} runs (warm: ${snapshotShare(parley, 'warm')}).`,
          `Parley warm: ${breakdown(parley.map((r) => r.warm))}.`,
          `Per-tab SDK cold: ${breakdown(base.map((r) => r.cold))}; warm: ${breakdown(base.map((r) => r.warm))}.`,
        ],
      };
    } finally {
      await srv.stop();
    }
  },
};
