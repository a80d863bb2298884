/**
 * `npm run bench [-- --quick] [--only id,id]`: builds what browsers load, starts a server and
 * headless Chromium as needed, runs every benchmark, prints the table and writes
 * bench/results/latest.json and bench/RESULTS.md. --quick runs each benchmark once at small sizes
 * and writes to a temporary directory (as does --only): `npm test` runs it so the harness never rots; it fails
 * only when a benchmark throws or a figure comes out empty, never on speed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundles } from '../scripts/build';
import { buildDemo } from '../scripts/build-demo';
import { buildBenchPages } from './browser/build';
import { createEnv } from './lib/env';
import { ensureServices } from './lib/services';
import { machine, printTable, writeResults, type BenchRecord, type Summary } from './lib/report';
import { BENCHMARKS } from './suites';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1]!).split(',') : null;
// Only a full run of everything replaces the committed results; anything else goes to a temp dir.
const outDir = quick || only ? fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-')) : path.resolve(import.meta.dirname);

const log = (m: string) => process.stdout.write(`${m}\n`);

await buildBundles();
await buildDemo();
await buildBenchPages();

const env = createEnv({ quick, log: (m) => log(`   ${m}`) });
const records: BenchRecord[] = [];
let browserVersion: string | null = null;
// A full run writes the committed results: it brings its own PostgreSQL and Redis if none is given.
const stopServices = quick || (only && !only.includes('cluster-relay')) ? () => {} : ensureServices(log);
try {
  for (const b of BENCHMARKS) {
    if (only && !only.includes(b.id)) continue;
    log(`-- ${b.id}: ${b.title}`);
    const t0 = performance.now();
    try {
      const outcome = await b.run(env);
      records.push({ id: b.id, title: b.title, outcome, error: null, seconds: (performance.now() - t0) / 1000 });
    } catch (err) {
      log(`   FAILED: ${(err as Error)?.stack ?? err}`);
      records.push({ id: b.id, title: b.title, outcome: null, error: String((err as Error)?.message ?? err), seconds: (performance.now() - t0) / 1000 });
    }
  }
  browserVersion = await env.browserVersion().catch(() => null);
} finally {
  await env.close();
  stopServices();
}

const summary: Summary = { generatedAt: new Date().toISOString(), quick, machine: machine(browserVersion), benchmarks: records };
printTable(summary, log);
writeResults(summary, outDir);
log(`\nwrote ${path.join(outDir, 'RESULTS.md')} and results/latest.json`);

const empty = records.flatMap((r) => (r.outcome?.figures ?? []).filter((f) => f.runs.length === 0 || f.runs.some((v) => !Number.isFinite(v))).map((f) => `${r.id}/${f.key}`));
const failed = records.filter((r) => !r.outcome).map((r) => r.id);
if (failed.length || empty.length) {
  log(`benchmarks failed: ${failed.join(', ') || 'none'}; empty figures: ${empty.join(', ') || 'none'}`);
  process.exit(1);
}
process.exit(0);
