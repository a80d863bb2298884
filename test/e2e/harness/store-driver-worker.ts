/**
 * A SharedWorker for the driver's browser tests and benchmark: it opens waSqliteDriver databases
 * and runs what the page asks over a tiny request/reply protocol ({ id, op, args } → { id, ok, value | error }).
 * Bundled into dist/parley-test/ by the specs (scripts/build.ts buildWorker).
 */
import { LOCAL_MIGRATIONS } from '../../../schema/local/migrations';
import type { SqlValue } from '../../../worker/store/SqlDriver';
import { openWaSqlite, registerCipherBuilds, type WaSqliteBuild, type WaSqliteDriver, type WaSqliteOptions } from '../../../worker/store/waSqliteDriver';
import { CIPHER_BUILDS } from '../../../worker/store/cipherBuilds';
import { benchCpu, benchDriver, type BenchOptions } from './store-bench';
import { countIdb } from '../../../bench/browser/storeProfile';

declare const self: { onconnect: ((e: MessageEvent) => void) | null };

registerCipherBuilds(CIPHER_BUILDS);

/** Tells one worker instance from the next (a reopened page must reach a new instance). */
const instanceId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const dbs = new Map<string, WaSqliteDriver>();

function db(name: string): WaSqliteDriver {
  const d = dbs.get(name);
  if (!d) throw new Error(`database ${name} is not open`);
  return d;
}

const ops = {
  info: () => ({ instanceId, jspi: typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function' }),
  open: async (opts: WaSqliteOptions) => {
    const d = await openWaSqlite({ readerConnection: true, ...opts });
    dbs.set(opts.name, d);
    return { vfs: d.vfs, build: d.build, durability: d.durability };
  },
  migrate: (name: string) => db(name).transaction((tx) => tx.exec(LOCAL_MIGRATIONS[0]!)),
  exec: (name: string, sql: string) => db(name).exec(sql),
  rekey: (name: string, key: string) => db(name).rekey(key),
  encrypted: (name: string) => db(name).encrypted,
  all: (name: string, sql: string, params?: SqlValue[]) => db(name).all(sql, params),
  run: (name: string, sql: string, params?: SqlValue[]) => db(name).run(sql, params),
  /** Runs `statements` in a transaction, then throws: the writes must not be visible after. */
  failingTransaction: (name: string, statements: [string, SqlValue[]][]) =>
    db(name).transaction(async (tx) => {
      for (const [sql, params] of statements) await tx.run(sql, params);
      throw new Error('deliberate failure inside the transaction');
    }),
  /** Runs `statements` in one transaction. */
  transaction: (name: string, statements: [string, SqlValue[]][]) =>
    db(name).transaction(async (tx) => {
      const results = [];
      for (const [sql, params] of statements) results.push(await tx.run(sql, params));
      return results;
    }),
  /** Fires `n` calls at once without awaiting any: the queue must run them one at a time. */
  concurrent: async (name: string, n: number) => {
    const d = db(name);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      calls.push(d.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [`k${i % 7}`, String(i)]));
      calls.push(d.all('SELECT count(*) AS n FROM meta'));
      calls.push(d.transaction(async (tx) => tx.run("UPDATE meta SET value = value || '+' WHERE key = 'k0'")));
    }
    await Promise.all(calls);
    return d.all('SELECT key, value FROM meta ORDER BY key');
  },
  /**
   * Commits `rowsPerTx` rows of `bytes` random bytes per transaction (table `blobs`) until a commit
   * fails or `maxTx` transactions ran: how many committed, and the failure.
   */
  fill: async (name: string, bytes: number, rowsPerTx: number, maxTx: number) => {
    const d = db(name);
    await d.exec('CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    let committed = 0;
    for (let i = 0; i < maxTx; i++) {
      try {
        await d.transaction(async (tx) => {
          for (let r = 0; r < rowsPerTx; r++) await tx.run('INSERT INTO blobs (data) VALUES (?)', [crypto.getRandomValues(new Uint8Array(bytes))]);
        });
        committed += rowsPerTx;
      } catch (err) {
        const { name, message, code } = err as { name: string; message: string; code?: string };
        return { committed, error: { name, message, code } };
      }
    }
    return { committed, error: null };
  },
  /** The IndexedDB transactions one read-only statement takes on an idle database. */
  readIdbCounts: async (name: string) => {
    const d = db(name);
    await d.all('SELECT count(*) AS n FROM meta'); // the statement prepared, the cache warm
    const idb = countIdb();
    const rows = await d.all('SELECT count(*) AS n FROM meta');
    return { rows, idb: idb.stop() };
  },
  /**
   * Holds a write transaction of `rows` rows open (its statements done, its COMMIT not yet run)
   * while a read runs, then lets it commit: the order in which the read and the commit finished,
   * what the read saw, and the IndexedDB transactions it took. A read that waits for the
   * transaction would wait forever, so the hold ends after `guardMs` whatever happens.
   */
  readDuringWrite: async (name: string, rows: number, guardMs: number) => {
    const d = db(name);
    const ready = await d.readerReady;
    await d.run("INSERT INTO meta (key, value) VALUES ('committed', 'before')");
    const order: string[] = [];
    let inFlight!: () => void;
    const statementsDone = new Promise<void>((resolve) => (inFlight = resolve));
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const write = d
      .transaction(async (tx) => {
        for (let i = 0; i < rows; i++) await tx.run('INSERT INTO meta (key, value) VALUES (?, ?)', [`w${i}`, 'x'.repeat(1000)]);
        inFlight();
        await hold;
      })
      .then(() => order.push('commit'));
    await statementsDone;
    const idb = countIdb();
    const read = d.all<{ key: string }>('SELECT key FROM meta ORDER BY key').then((r) => {
      order.push('read');
      return r;
    });
    const guard = setTimeout(release, guardMs);
    const seen = await read.finally(() => {
      clearTimeout(guard);
      release();
    });
    const counts = idb.stop();
    await write;
    const after = await d.all<{ n: number }>('SELECT count(*) AS n FROM meta');
    return { ready, order, seen: seen.map((r) => r.key), idb: counts, after: after[0]!.n };
  },
  /** Makes this worker look like a private window: IndexedDB missing, or throwing on open. */
  breakIndexedDb: (how: 'missing' | 'throws') => {
    if (how === 'missing') Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
    else
      indexedDB.open = () => {
        throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
      };
  },
  close: async (name: string) => {
    await dbs.get(name)?.close();
    dbs.delete(name);
  },
  bench: (opts: BenchOptions) => benchDriver(opts),
  benchCpu: (build: WaSqliteBuild) => benchCpu(build),
} satisfies Record<string, (...args: never[]) => unknown>;

type Request = { id: number; op: keyof typeof ops; args: unknown[] };

self.onconnect = (e: MessageEvent) => {
  const port = e.ports[0]!;
  port.onmessage = async ({ data }: MessageEvent<Request>) => {
    try {
      const fn = ops[data.op] as (...args: unknown[]) => unknown;
      port.postMessage({ id: data.id, ok: true, value: await fn(...data.args) });
    } catch (err) {
      const { name, message, code } = err as { name: string; message: string; code?: string };
      port.postMessage({ id: data.id, ok: false, error: { name, message, code } });
    }
  };
};
