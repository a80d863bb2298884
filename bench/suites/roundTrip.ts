/**
 * Tab ↔ worker round trip with a 1 KB payload: comlink 4.4.2 (how a Parley tab calls its engine)
 * against raw postMessage on a MessagePort, both to the same SharedWorker (bench/browser/rt.*),
 * timed in the page with performance.now() over sequential calls.
 *
 * The page is not cross-origin isolated (a storefront usually is not), so Chromium coarsens
 * performance.now() to 100 µs with jitter: single calls (~100 µs) cannot be told apart below that.
 * Timestamps are taken back to back, so the time of k consecutive calls is exact to ~2 clamps; the
 * p50s are therefore the median over windows of 10 consecutive calls of their mean (10 µs
 * resolution), and the p99s come from single calls (where 100 µs is small against the value).
 */
import { percentile, repeat } from '../lib/stats';
import type { Benchmark, Figure } from '../lib/types';
import type { RoundTripSamples } from '../browser/rt.page';

const WINDOW = 10;

declare const rt: { run(n: number): Promise<RoundTripSamples> };

/** Median of the means of consecutive WINDOW-call windows, in ms. */
function windowedMedian(samples: readonly number[]): number {
  const means: number[] = [];
  for (let i = 0; i + WINDOW <= samples.length; i += WINDOW) {
    let sum = 0;
    for (let j = i; j < i + WINDOW; j++) sum += samples[j]!;
    means.push(sum / WINDOW);
  }
  return percentile(means, 50);
}

const µs = (key: string, label: string, role: Figure['role'], runs: number[], extra: Partial<Figure> = {}): Figure => ({
  key,
  label,
  unit: 'µs',
  better: 'lower',
  role,
  runs: runs.map((ms) => ms * 1000),
  ...extra,
});

export const roundTrip: Benchmark = {
  id: 'round-trip',
  title: 'Tab ↔ worker round trip, 1 KB payload',
  async run(env) {
    const calls = env.size(5000, 200);
    const srv = await env.startServer();
    const context = await env.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${srv.url}/bench/rt.html`);
      await page.waitForFunction(() => document.body.dataset.ready === '1');
      const runs = await repeat(env, () => page.evaluate((n) => rt.run(n), calls));
      const isolated = runs.some((r) => r.crossOriginIsolated);
      const comlinkP50 = runs.map((r) => windowedMedian(r.comlink));
      const rawP50 = runs.map((r) => windowedMedian(r.raw));
      return {
        figures: [
          µs('comlink-p50', 'comlink call, p50', 'parley', comlinkP50, { vs: 'raw-p50' }),
          µs('raw-p50', 'raw postMessage on a MessagePort, p50', 'baseline', rawP50),
          µs('comlink-p99', 'comlink call, p99', 'parley', runs.map((r) => percentile(r.comlink, 99)), { vs: 'raw-p99' }),
          µs('raw-p99', 'raw postMessage on a MessagePort, p99', 'baseline', runs.map((r) => percentile(r.raw, 99))),
          µs('overhead-p50', 'what comlink adds at p50', 'parley', comlinkP50.map((c, i) => c - rawP50[i]!), { target: { op: '<=', value: 30 } }),
        ],
        notes: [
          `${calls} sequential calls each way per run, interleaved in blocks of 100, to one SharedWorker; payload: an object with ~1 KB of text.`,
          `p50 = median of ${WINDOW}-call window means (performance.now() is coarsened to 100 µs in a page that is not cross-origin isolated${isolated ? '; this page was isolated' : ''}); p99 = single calls.`,
        ],
      };
    } finally {
      await context.close();
      await srv.stop();
    }
  },
};
