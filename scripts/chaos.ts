/**
 * `npm run chaos -- --seed N --minutes M`: the chaos run (test/chaos/harness.ts) for one
 * or more seeds, one after the other. Prints each seed's counts and writes test/chaos/REPORT.md.
 *
 *   --seed N        a seed; repeat it or give a comma list for several (default: one random seed)
 *   --minutes M     length of each seed's schedule (default 1; decimals allowed)
 *   --quiesce S     longest wait for quiescence after healing, seconds (default 60)
 *   --report FILE   where the report goes (default test/chaos/REPORT.md; "-" for none)
 *   --faults A,B    only these kinds of fault (names in test/chaos/schedule.ts); default: all
 *   --node-only     leave out the two Chromium devices (2 tabs each on one SharedWorker) and their
 *                   faults: browser SIGKILLed mid-burst and relaunched on its profile, SharedWorker
 *                   closed, tab frozen, tab reloaded, storage full. With them (the default) the
 *                   bundles are built first
 *   --cluster       three server nodes on PostgreSQL and Redis behind a load balancer, with the
 *                   cluster's faults too (a node paused, Redis and PostgreSQL restarted, the nodes'
 *                   database connections terminated); the services come from PARLEY_TEST_DATABASE_URL,
 *                   PARLEY_TEST_REDIS_URL and PARLEY_TEST_SERVICES_DIR (scripts/services.sh start)
 *   --keep          keep the databases (their directory is printed)
 *   --quiet         no progress lines
 * Exits 1 when a seed fails.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runChaos, type ChaosResult } from '../test/chaos/harness';
import { buildBundles } from './build';
import { CLUSTER_FAULT_WEIGHTS, FAULT_WEIGHTS, type FaultKind } from '../test/chaos/schedule';
import { passed, summary, writeReport } from '../test/chaos/report';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', multiple: true },
    minutes: { type: 'string', default: '1' },
    quiesce: { type: 'string', default: '60' },
    report: { type: 'string', default: path.join('test', 'chaos', 'REPORT.md') },
    faults: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'node-only': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

const seeds = (values.seed ?? [String(Math.floor(Math.random() * 2 ** 31))]).flatMap((s) => s.split(',')).map((s) => {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--seed must be a non-negative integer, got ${s}`);
  return n;
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new Error(`--minutes must be positive, got ${values.minutes}`);

const known = [...FAULT_WEIGHTS, ...CLUSTER_FAULT_WEIGHTS].map(([k]) => k);
const faults = values.faults === 'all' ? undefined : values.faults?.split(',').map((f) => {
  if (!known.includes(f as FaultKind)) throw new Error(`unknown fault ${f}; known: ${known.join(', ')}`);
  return f as FaultKind;
});

const browsers = !values['node-only'];
const cluster = values.cluster ? clusterServices() : undefined;

function clusterServices() {
  const { PARLEY_TEST_DATABASE_URL: databaseUrl, PARLEY_TEST_REDIS_URL: redisUrl, PARLEY_TEST_SERVICES_DIR: servicesDir } = process.env;
  if (!databaseUrl || !redisUrl || !servicesDir) {
    console.error('--cluster needs PostgreSQL and Redis: eval "$(scripts/services.sh start /tmp/parley-services)" first');
    process.exit(2);
  }
  return { databaseUrl, redisUrl, servicesDir };
}
// playwright-core can throw outside any promise when a browser this run SIGKILLs vanishes while
// it reports a new object ("Cannot find parent object ...", then "Object with guid ... was not
// bound"). That says nothing about Parley: note it and go on. Anything else still ends the run.
process.on('uncaughtException', (err) => {
  if (/^Cannot find parent object |^Object with guid \S+ was not bound in the connection/.test(err.message)) {
    return console.log(`  (playwright, after a kill: ${err.message})`);
  }
  console.error(err);
  process.exit(1);
});
// The browser devices load the client and worker bundles.
if (browsers) await buildBundles();

const results: ChaosResult[] = [];
for (const seed of seeds) {
  console.log(`chaos: seed ${seed}, ${minutes} min`);
  const result = await runChaos({
    seed,
    durationMs: Math.round(minutes * 60_000),
    quiesceMs: Number(values.quiesce) * 1000,
    keep: values.keep,
    browsers,
    ...(faults ? { faults } : {}),
    ...(cluster ? { cluster } : {}),
    log: values.quiet ? undefined : (line) => console.log(`  ${line}`),
  });
  results.push(result);
  console.log(summary(result));
  if (values.keep) console.log(`  databases: ${result.workDir}`);
  if (!passed(result) && result.serverOutput) console.log(`  server output (tail):\n${result.serverOutput.slice(-2000)}`);
}

const command = `npm run chaos -- ${seeds.map((s) => `--seed ${s}`).join(' ')} --minutes ${minutes}${values.faults ? ` --faults ${values.faults}` : ''}${browsers ? '' : ' --node-only'}${cluster ? ' --cluster' : ''}`;
if (values.report !== '-') {
  await writeReport(values.report!, results, command, cluster !== undefined);
  console.log(`report: ${values.report}`);
}
const failed = results.filter((r) => !passed(r)).map((r) => r.seed);
console.log(failed.length ? `FAILED seeds: ${failed.join(', ')}` : `all ${results.length} seed(s) passed`);
process.exit(failed.length ? 1 : 0);
