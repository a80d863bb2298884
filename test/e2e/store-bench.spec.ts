/**
 * Measures the wa-sqlite driver per VFS and build inside a SharedWorker, and prints a table. Not a
 * test: skipped unless PARLEY_BENCH=1 (`PARLEY_BENCH=1 npx playwright test store-bench`).
 * PARLEY_BENCH_RUNS (default 3) repeats each configuration; the table shows the median run.
 */
import { test } from '@playwright/test';
import type { BenchResult } from './harness/store-bench';
import { call, openDriverPage, useDriverServer } from './storeDriverHarness';

const CONFIGS = [
  { vfs: 'idb-batch-atomic', build: 'jspi' },
  { vfs: 'idb-batch-atomic', build: 'asyncify' },
  { vfs: 'idb-mirror', build: 'jspi' },
  { vfs: 'idb-mirror', build: 'asyncify' },
  { vfs: 'idb-batch-atomic', build: 'jspi', pragmas: 'PRAGMA locking_mode=EXCLUSIVE', label: 'exclusive lock' },
  { vfs: 'idb-mirror', build: 'jspi', pragmas: 'PRAGMA locking_mode=EXCLUSIVE', label: 'exclusive lock' },
  { vfs: 'memory', build: 'jspi' },
  { vfs: 'idb-batch-atomic', build: 'jspi', bulkRows: 50_000, label: '50k rows' },
  { vfs: 'idb-mirror', build: 'jspi', bulkRows: 50_000, label: '50k rows' },
] as const;

test.skip(!process.env.PARLEY_BENCH, 'benchmark: set PARLEY_BENCH=1');
test.setTimeout(600_000);

const server = useDriverServer();

test('wa-sqlite driver: VFS × build', async ({ context }) => {
  const runs = Number(process.env.PARLEY_BENCH_RUNS ?? 3);
  const f = (x: number) => x.toFixed(1);
  const lines = [
    '| VFS | build | extra | open ms | autocommit p50/p95 ms | tx commit p50/p95 ms | 1k rows 1 tx ms | bulk rows (tx of 1k) ms | latest 50 ms | FTS ms | DB MB | reopen ms | cold latest 50 ms |',
    '|' + ' --- |'.repeat(13),
  ];
  let k = 0;
  for (const cfg of CONFIGS) {
    const results: BenchResult[] = [];
    for (let r = 0; r < runs; r++) {
      // A fresh SharedWorker and database per run.
      const page = await openDriverPage(context, server().url, `bench-${k}`);
      const extra = { pragmas: 'pragmas' in cfg ? cfg.pragmas : undefined, bulkRows: 'bulkRows' in cfg ? cfg.bulkRows : undefined };
      results.push(await call<BenchResult>(page, 'bench', { name: `bench-${k}`, vfs: cfg.vfs, build: cfg.build, ...extra }));
      await page.close();
      k++;
    }
    results.sort((a, b) => a.txCommit.p50 - b.txCommit.p50);
    const m = results[Math.floor(results.length / 2)]!;
    lines.push(
      `| ${m.vfs} | ${m.build} | ${'label' in cfg ? cfg.label : ''} | ${f(m.openMs)} | ${f(m.autocommit.p50)} / ${f(m.autocommit.p95)} | ${f(m.txCommit.p50)} / ${f(m.txCommit.p95)} | ${f(m.rows1kIn1TxMs)} | ${f(m.rows10kIn10TxMs)} | ${f(m.latest50Ms)} | ${f(m.ftsMs)} | ${f(m.dbBytes / 1e6)} | ${f(m.reopenMs)} | ${f(m.coldLatest50Ms)} |`,
    );
    console.log(lines.at(-1));
  }
  console.log('\n' + lines.join('\n'));
});

test('wa-sqlite driver: CPU per row (in-memory database)', async ({ context }) => {
  for (const build of ['jspi', 'asyncify']) {
    const page = await openDriverPage(context, server().url, `bench-cpu-${build}`);
    const result = await call<Record<string, number>>(page, 'benchCpu', build);
    console.log(build, Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Math.round(v)])));
    await page.close();
  }
});
