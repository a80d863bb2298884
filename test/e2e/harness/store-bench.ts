/**
 * The driver benchmark, run inside the test SharedWorker (timings exclude postMessage): durable
 * single-row commits, bulk inserts into `messages` (with its FTS trigger), a page read, and a reopen
 * of the filled database. Run it with `PARLEY_BENCH=1 npx playwright test store-bench`.
 */
import { LOCAL_MIGRATIONS } from '../../../schema/local/migrations';
import type { SqlExecutor } from '../../../worker/store/SqlDriver';
import { openWaSqlite, type WaSqliteBuild, type WaSqliteVfs } from '../../../worker/store/waSqliteDriver';

export interface BenchOptions {
  name: string;
  vfs: WaSqliteVfs;
  build: WaSqliteBuild;
  /** Extra PRAGMAs after open (e.g. 'PRAGMA locking_mode=EXCLUSIVE'). */
  pragmas?: string;
  /** Single-row commits to time. */
  commits?: number;
  /** Rows for the bulk run, in transactions of 1,000 (default 10,000). */
  bulkRows?: number;
}

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

export interface BenchResult {
  vfs: WaSqliteVfs;
  build: WaSqliteBuild;
  durability: string;
  openMs: number;
  /** One autocommit INSERT (one row, FTS trigger) per call. */
  autocommit: Stats;
  /** transaction(tx => tx.run(INSERT)): BEGIN IMMEDIATE + INSERT + COMMIT. */
  txCommit: Stats;
  rows1kIn1TxMs: number;
  /** `bulkRows` rows (10,000 unless set) in transactions of 1,000. */
  rows10kIn10TxMs: number;
  dbBytes: number;
  latest50Ms: number;
  ftsMs: number;
  /** Open plus a count of every message (the filled database). */
  reopenMs: number;
  /** The latest 50 of a conversation, first query after reopen. */
  coldLatest50Ms: number;
  rowsAfterReopen: number;
}

const LATEST_50 = 'SELECT * FROM messages WHERE conversation_id = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT 50';
const INSERT =
  "INSERT INTO messages (id, sender_id, conversation_id, seq, content, search_text, state, created_at, server_ts) VALUES (?, ?, ?, ?, ?, ?, 'received', ?, ?)";

export async function benchDriver(opts: BenchOptions): Promise<BenchResult> {
  let t = performance.now();
  let d = await openWaSqlite({ name: opts.name, vfs: opts.vfs, build: opts.build });
  const openMs = performance.now() - t;
  if (opts.pragmas) await d.exec(opts.pragmas);
  await d.transaction((tx) => tx.exec(LOCAL_MIGRATIONS[0]!));

  let seq = 0;
  const row = (conv: string) => {
    seq++;
    const text = `消息 ${seq}：你好，请问这件商品有现货吗？ order #${seq * 7919}`;
    return [`m-${seq}`, 'bob', conv, seq, JSON.stringify({ type: 'text', text }), text, Date.now(), Date.now()];
  };

  for (let i = 0; i < 10; i++) await d.run(INSERT, row('c1')); // warm up caches and statements

  const n = opts.commits ?? 100;
  const auto: number[] = [];
  for (let i = 0; i < n; i++) {
    t = performance.now();
    await d.run(INSERT, row('c1'));
    auto.push(performance.now() - t);
  }
  const txs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = row('c1');
    t = performance.now();
    await d.transaction((tx) => tx.run(INSERT, r));
    txs.push(performance.now() - t);
  }

  const bulk = async (rows: number, perTx: number) => {
    const start = performance.now();
    for (let done = 0; done < rows; done += perTx) {
      await d.transaction(async (tx) => {
        for (let i = 0; i < perTx; i++) await tx.run(INSERT, row('c2'));
      });
    }
    return performance.now() - start;
  };
  const rows1kIn1TxMs = await bulk(1000, 1000);
  const rows10kIn10TxMs = await bulk(opts.bulkRows ?? 10_000, 1000);
  const [{ bytes: dbBytes }] = (await d.all<{ bytes: number }>('SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()')) as [{ bytes: number }];

  t = performance.now();
  await d.all(LATEST_50, ['c2']);
  const latest50Ms = performance.now() - t;
  t = performance.now();
  await d.all('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT 50', ['"#79190"']);
  const ftsMs = performance.now() - t;

  await d.close();
  let reopenMs = NaN;
  let coldLatest50Ms = NaN;
  let rowsAfterReopen = 0;
  if (d.vfs !== 'memory') {
    t = performance.now();
    d = await openWaSqlite({ name: opts.name, vfs: opts.vfs, build: opts.build });
    reopenMs = performance.now() - t;
    t = performance.now();
    await d.all(LATEST_50, ['c2']);
    coldLatest50Ms = performance.now() - t;
    rowsAfterReopen = (await d.all<{ n: number }>('SELECT count(*) AS n FROM messages'))[0]!.n;
  }
  const durability = d.durability;
  await d.close();

  return {
    vfs: d.vfs,
    build: d.build,
    durability,
    openMs,
    autocommit: stats(auto),
    txCommit: stats(txs),
    rows1kIn1TxMs,
    rows10kIn10TxMs,
    latest50Ms,
    ftsMs,
    dbBytes,
    reopenMs,
    coldLatest50Ms,
    rowsAfterReopen,
  };
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Where a bulk insert's time goes, on the in-memory database: the call, the row, the FTS index. */
export async function benchCpu(build: WaSqliteBuild): Promise<Record<string, number>> {
  const d = await openWaSqlite({ name: `cpu-${Date.now()}`, vfs: 'memory', build });
  await d.transaction((tx) => tx.exec(LOCAL_MIGRATIONS[0]!));
  await d.exec('CREATE TABLE plain (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c INTEGER)');
  const text = '消息：你好，请问这件商品有现货吗？ order #1234567';
  const N = 5000;
  const out: Record<string, number> = {};
  const inTx = async (label: string, n: number, fn: (tx: SqlExecutor, i: number) => Promise<unknown>, rowsPerCall = 1) => {
    const start = performance.now();
    await d.transaction(async (tx) => {
      for (let i = 0; i < n; i++) await fn(tx, i);
    });
    out[label] = ((performance.now() - start) * 1000) / (n * rowsPerCall);
  };
  await inTx('SELECT 1, µs/call', N, (tx) => tx.all('SELECT 1'));
  await inTx('plain INSERT, µs/row', N, (tx, i) => tx.run('INSERT INTO plain (a, b, c) VALUES (?, ?, ?)', [`a${i}`, text, i]));
  await inTx('messages INSERT + FTS trigram, µs/row', N, (tx, i) =>
    tx.run("INSERT INTO messages (id, sender_id, conversation_id, seq, content, search_text, state, created_at) VALUES (?, 'bob', 'c', ?, ?, ?, 'received', ?)", [`m${i}`, i, text, text, 1_732_000_000_000 + i]),
  );
  const values = Array.from({ length: 100 }, () => "(?, 'bob', 'c2', ?, ?, ?, 'received', ?)").join(', ');
  await inTx('messages INSERT + FTS, 100 rows per call, µs/row', N / 100, (tx, i) => {
    const params = [];
    for (let r = 0; r < 100; r++) params.push(`n${i}-${r}`, i * 100 + r, text, text, 1_732_000_000_000 + r);
    return tx.run(`INSERT INTO messages (id, sender_id, conversation_id, seq, content, search_text, state, created_at) VALUES ${values}`, params);
  }, 100);
  await d.close();
  return out;
}
