/**
 * The chaos run with browsers, bounded for `npm test`: seed 55 for 25 s. Besides the nine Node
 * devices and the network and server faults of the Node tier (test/chaos/chaos.test.ts), two
 * Chromiums with two tabs each on one SharedWorker: both browsers are SIGKILLed a few ms into a
 * burst of sends and relaunched on their profile, SharedWorkers are closed over CDP, a tab is
 * frozen while peers send, another reloaded, alice's disk fills up (quota), and the server dies
 * after a commit and before a response. Every count must be zero, pushes dropped by a browser
 * included (its worker logs what it stored: browser/chaosStore.ts), and every tab's view must show
 * what its database holds. Longer: `npm run chaos -- --seed N --minutes M`.
 */
import { expect, test } from '@playwright/test';
import { faultShortfalls } from '../chaos/appliedFaults';
import { GAVE_UP_BOUND, refusedBound } from '../chaos/bounds';
import { NO_ANOMALIES } from '../chaos/checker';
import { runChaos } from '../chaos/harness';
import { summary } from '../chaos/report';

const SEED = 55;
const DURATION_MS = 25_000;

test(`chaos with browsers, seed ${SEED}: nothing lost, duplicated or reordered; no state regression`, async () => {
  test.setTimeout(150_000);
  const result = await runChaos({ seed: SEED, durationMs: DURATION_MS, quiesceMs: 30_000, browsers: true });
  const report = `${summary(result)}\n  (this schedule: npm run chaos -- --seed ${SEED} --minutes ${DURATION_MS / 60_000})`;
  expect(result.check.acknowledged, report).toBeGreaterThan(100);
  // The browsers died and came back, and their other faults struck (one that lands during a
  // relaunch waits for it; only a freeze or reload of a tab already frozen is skipped).
  expect(result.faults['browser-kill'], report).toBe(2);
  const applied = ['worker-close', 'freeze', 'tab-reload', 'quota'].reduce((n, k) => n + (result.faults[k] ?? 0), 0);
  expect(applied, report).toBeGreaterThanOrEqual(3);
  // The network and server faults struck too (a freeze or reload of a busy tab may rightly be skipped).
  expect(faultShortfalls(result, ['freeze', 'tab-reload']), report).toEqual([]);
  // Every send left unmade is matched to a browser fault (the `rejected` count), and there are no
  // more of them than those faults can explain (bounds.ts).
  expect(result.check.refused, report).toBeLessThanOrEqual(refusedBound(result.faults));
  expect(result.check.gaveUp, report).toBeLessThanOrEqual(GAVE_UP_BOUND);
  expect(result.check.counts, report).toEqual(NO_ANOMALIES);
  expect(result.check.anomalies, report).toEqual([]);
  expect(result.quiesced, report).toBe(true);
});
