/**
 * The chaos run with browsers, bounded for `npm test`: seed 12 for 25 s. Besides the nine Node
 * devices and the network and server faults of the Node tier (test/chaos/chaos.test.ts), two
 * Chromiums with two tabs each on one SharedWorker: alice's browser is SIGKILLed three times a few
 * ms into a burst of sends and relaunched on its profile, the shop's SharedWorker is closed over
 * CDP, tabs are frozen while peers send, and the server dies at its crash points. Every count must
 * be zero, every tab's view must agree with the database. Longer: `npm run chaos -- --browsers`.
 */
import { expect, test } from '@playwright/test';
import { runChaos } from '../chaos/harness';
import { summary } from '../chaos/report';

const SEED = 12;
const DURATION_MS = 25_000;

test(`chaos with browsers, seed ${SEED}: nothing lost, duplicated or reordered; no state regression`, async () => {
  test.setTimeout(150_000);
  const result = await runChaos({ seed: SEED, durationMs: DURATION_MS, quiesceMs: 30_000, browsers: true });
  const report = `${summary(result)}\n  (this schedule: npm run chaos -- --seed ${SEED} --minutes ${DURATION_MS / 60_000} --browsers)`;
  expect(result.check.acknowledged, report).toBeGreaterThan(100);
  // The browser faults this seed draws were applied, not skipped.
  expect(result.faults['browser-kill'], report).toBeGreaterThanOrEqual(2);
  expect(result.faults['worker-close'] ?? 0, report).toBeGreaterThanOrEqual(1);
  expect(result.faults['freeze'] ?? 0, report).toBeGreaterThanOrEqual(1);
  expect(result.check.counts, report).toEqual({
    lost: 0,
    duplicated: 0,
    reordered: 0,
    regressions: 0,
    stuck: 0,
    unexpected: 0,
    failed: 0,
    stale: 0,
    dropped: 0,
  });
  expect(result.check.anomalies, report).toEqual([]);
  expect(result.quiesced, report).toBe(true);
});
