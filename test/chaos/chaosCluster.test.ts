/**
 * The chaos run on a cluster, bounded for `npm test`: three nodes on PostgreSQL and Redis behind a
 * load balancer, one seed of 20 s with every fault in the catalogue and the cluster's own (a node
 * paused, Redis and PostgreSQL restarted, the nodes' connections terminated). Besides the checker's
 * counts: one live session per slot, no write accepted from a superseded session (a probe at the node
 * pause), every accepted upload served by every node. Longer runs:
 * `npm run chaos -- --cluster --seed N --minutes M --node-only`.
 */
import { describe, expect, it } from 'vitest';
import { databaseUrl, redisUrl, SKIP_NOTE } from '../support/services';
import { faultShortfalls } from './appliedFaults';
import { GAVE_UP_BOUND } from './bounds';
import { NO_ANOMALIES } from './checker';
import { runChaos } from './harness';
import { clusterFindings, summary } from './report';
import { CLUSTER_FAULT_WEIGHTS, type FaultKind } from './schedule';

/** Draws all four cluster faults in 20 s (pg-restart, redis-restart, cut, pg-terminate, node-pause). */
const SEED = 28;
const DURATION_MS = 20_000;
const servicesDir = process.env.PARLEY_TEST_SERVICES_DIR;

describe.skipIf(!databaseUrl || !redisUrl || !servicesDir)(`chaos (cluster tier)${databaseUrl ? '' : ` (${SKIP_NOTE})`}`, () => {
  it(`seed ${SEED}: nothing lost, duplicated or reordered across three nodes, Redis and PostgreSQL faults`, { timeout: 90_000 }, async () => {
    // The server side's faults only (the links' are the Node tier's): a short run then meets them all.
    const faults: FaultKind[] = ['kill', 'crash-commit', 'crash-respond', 'drop-responses', 'cut', ...CLUSTER_FAULT_WEIGHTS.map(([k]) => k)];
    const result = await runChaos({
      seed: SEED,
      durationMs: DURATION_MS,
      quiesceMs: 20_000,
      faults,
      cluster: { databaseUrl: databaseUrl!, redisUrl: redisUrl!, servicesDir: servicesDir! },
    });
    const report = `${summary(result)}\n  (this schedule: npm run chaos -- --cluster --node-only --seed ${SEED} --minutes ${DURATION_MS / 60_000} --faults ${faults.join(',')})`;
    expect(result.check.acknowledged, report).toBeGreaterThan(50);
    expect(faultShortfalls(result), report).toEqual([]);
    const clusterFaults = Object.keys(result.faults).filter((k) => CLUSTER_FAULT_WEIGHTS.some(([c]) => c === k));
    expect(clusterFaults.sort(), report).toEqual(['node-pause', 'pg-restart', 'pg-terminate', 'redis-restart']);
    // Three nodes started, and each death (a fault's) restarted one: no node died of anything else.
    expect(result.serverStarts, report).toBe(3 + Object.values(result.serverDeaths).reduce((a, b) => a + b, 0));
    expect(result.check.refused, report).toBe(0);
    expect(result.check.gaveUp, report).toBeLessThanOrEqual(GAVE_UP_BOUND);
    expect(result.check.counts, report).toEqual(NO_ANOMALIES);
    expect(result.check.anomalies, report).toEqual([]);
    expect(result.quiesced, report).toBe(true);
    // One live session per session slot across the three nodes.
    expect(result.doubledSessions, report).toEqual([]);
    // The node pause's probe was made (its write sent, its session superseded) and refused.
    const { closed, refused, answered, unanswered } = result.fence!.outcomes;
    expect(closed + refused + answered + unanswered, report).toBeGreaterThanOrEqual(1);
    expect(result.fence!.accepted, report).toBe(0);
    expect(result.media!.accepted, report).toBeGreaterThanOrEqual(1);
    expect(result.media!.unreadable, report).toEqual([]);
    expect(clusterFindings(result), report).toEqual([]);
  });
});
