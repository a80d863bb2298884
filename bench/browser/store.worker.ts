/**
 * The local-store benchmarks' SharedWorker (the engine runs in one, so the store is timed where it
 * runs): it opens LocalStore on wa-sqlite as the engine does, or the idb baseline, times a burst
 * of sends or a catch-up, and answers with the numbers. Protocol: { id, op, arg } →
 * { id, ok, value | error }, one port per page (see store.page.ts).
 */
import type { Message } from '../../schema';
import { idbCommit } from '../baselines/idbStore';
import { LocalStore } from '../../worker/store/LocalStore';
import type { SqlDriver, SqlValue } from '../../worker/store/SqlDriver';
import { WA_SQLITE_CIPHER_WASM, WA_SQLITE_WASM } from '../../worker/store/waSqliteAssets';
import { openWaSqlite, registerCipherBuilds, type WaSqliteBuild, type WaSqliteDriver, type WaSqliteVfs } from '../../worker/store/waSqliteDriver';
import { CIPHER_BUILDS } from '../../worker/store/cipherBuilds';
import { indexedDbUnsentTally, UnsentTally } from '../../worker/privacy/unsentTally';
import { unsentCount } from '../../worker/store/outbox';
import { CatchUpWriter, MAX_PAGES_AHEAD } from '../../worker/sync/CatchUpWriter';
import { history, ME, sends } from './storeData';
import { countIdb, timingDriver, type Breakdown, type TimingDriver } from './storeProfile';

declare const self: { onconnect: ((e: MessageEvent) => void) | null };

export interface CommitOptions {
  name: string;
  vfs: WaSqliteVfs;
  build: WaSqliteBuild;
  n: number;
  /** 'burst': all n submitted at once; 'serial': each awaited before the next (one transaction each). */
  mode: 'burst' | 'serial';
  textBytes: number;
  /** Encrypted at rest with this key (the mc- build, and the unsent tally the engine keeps then). */
  key?: string;
}

export interface CommitResult {
  vfs: string;
  build: string;
  durability: string;
  wallMs: number;
  /** Submit → resolved, ms, per message. */
  latencies: number[];
  /** Pending rows found after the burst (checks that every send was stored). */
  stored: number;
}

export interface IngestOptions {
  name: string;
  n: number;
  /** Messages per storeMessages call. */
  page: number;
  contentBytes: number;
  /** 'pages': each page awaited before the next, as fillFrom does; 'pipelined': all pages submitted at once. */
  /** pages: each awaited; pipelined: all submitted at once; catch-up: as the engine's gap fill stores pages that come faster than they are stored. */
  mode: 'pages' | 'pipelined' | 'catch-up';
  /** A page size for the new database (SQLite's default, 4096, unless set): what a driver change would buy. */
  pageSize?: number;
  /** Encrypted at rest with this key. */
  key?: string;
}

export interface ColdOpenOptions {
  name: string;
  /** Messages stored before the database is closed and opened again. */
  n: number;
  key?: string;
}

export interface ColdOpenResult {
  /** openWaSqlite → LocalStore open → the latest 50 of the conversation read. */
  firstPageMs: number;
  rows: number;
  bytes: number;
}

export interface IngestResult {
  wallMs: number;
  stored: number;
  indexed: number;
  contiguous: number;
  pageSize: number;
  /** Database size after the run, bytes. */
  bytes: number;
}

const CONVERSATION = 'c_catchup';

// The encrypted engine's worker registers the cipher builds; so does this one.
registerCipherBuilds(CIPHER_BUILDS);

async function open(
  name: string,
  vfs: WaSqliteVfs,
  build: WaSqliteBuild,
  o: { pageSize?: number; timing?: boolean; key?: string | undefined } = {},
): Promise<{ driver: WaSqliteDriver; store: LocalStore; timing: TimingDriver | null }> {
  const key = o.key;
  const wasm = (key === undefined ? WA_SQLITE_WASM : WA_SQLITE_CIPHER_WASM)[build];
  const driver = await openWaSqlite({ name, vfs, build, wasmUrl: `/parley/${wasm}`, ...(key === undefined ? {} : { key }) });
  try {
    if (driver.vfs !== vfs || driver.build !== build) {
      throw new Error(`asked for ${vfs}/${build}, got ${driver.vfs}/${driver.build} (no IndexedDB or no JSPI here?)`);
    }
    // Only a database nothing was written to yet takes a new page size.
    if (o.pageSize !== undefined) await driver.exec(`PRAGMA page_size=${o.pageSize}`);
    const timing = o.timing ? timingDriver(driver) : null;
    // As openUserStore: an encrypted database keeps the count of unsent messages outside it.
    const tally = key === undefined ? null : new UnsentTally(name, () => unsentCount(driver), indexedDbUnsentTally);
    const store = await LocalStore.open(timing?.driver ?? driver, { userId: ME, now: Date.now, ...(tally ? { outboxWatch: tally } : {}) });
    return { driver, store, timing };
  } catch (e) {
    await driver.close();
    throw e;
  }
}

/** Deletes every IndexedDB database of this origin (each run starts from nothing). */
async function clearAll(): Promise<string[]> {
  const names = (await indexedDB.databases()).map((d) => d.name!).filter(Boolean);
  await Promise.all(
    names.map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.deleteDatabase(name);
          req.onsuccess = () => resolve();
          req.onerror = () => reject(req.error);
          req.onblocked = () => reject(new Error(`deleting ${name} is blocked: a connection is still open`));
        }),
    ),
  );
  return names;
}

async function localCommit(o: CommitOptions): Promise<CommitResult> {
  const { driver, store } = await open(o.name, o.vfs, o.build, { key: o.key });
  try {
    // A running engine has its statements prepared and its pages cached: warm both.
    for (const input of sends(`${o.name}-warm`, 3, 1, o.textBytes)) await store.enqueue({ ...input, conversationId: 'c_warm' });
    const inputs = sends(o.name, o.n, 10, o.textBytes);
    const latencies = new Array<number>(o.n);
    const t0 = performance.now();
    if (o.mode === 'burst') {
      await Promise.all(
        inputs.map((input, i) => {
          const s = performance.now();
          return store.enqueue(input).then(() => void (latencies[i] = performance.now() - s));
        }),
      );
    } else {
      for (let i = 0; i < o.n; i++) {
        const s = performance.now();
        await store.enqueue(inputs[i]!);
        latencies[i] = performance.now() - s;
      }
    }
    const wallMs = performance.now() - t0;
    const stored = (await store.pendingCount()) - 3;
    return { vfs: driver.vfs, build: driver.build, durability: driver.durability, wallMs, latencies, stored };
  } finally {
    await store.close();
  }
}

async function ingest(o: IngestOptions): Promise<IngestResult> {
  const { driver, store } = await open(o.name, 'idb-batch-atomic', 'jspi', { pageSize: o.pageSize, key: o.key });
  try {
    const messages = history(CONVERSATION, o.n, o.contentBytes);
    const pages: Message[][] = [];
    for (let i = 0; i < messages.length; i += o.page) pages.push(messages.slice(i, i + o.page));
    await warmIngest(store);
    const t0 = performance.now();
    await storePages(store, pages, o.mode);
    const wallMs = performance.now() - t0;
    const count = (sql: string, params: SqlValue[] = []) => driver.all<{ n: number }>(sql, params).then((r) => r[0]!.n);
    return {
      wallMs,
      stored: await count('SELECT count(*) AS n FROM messages WHERE conversation_id = ?', [CONVERSATION]),
      // Every stored text is in the full-text index (the trigger ran for each row).
      indexed: await count(
        `SELECT count(*) AS n FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
         WHERE f.search_text LIKE '%请问这件商品%' AND m.conversation_id = ?`,
        [CONVERSATION],
      ),
      contiguous: await store.contiguousSeq(CONVERSATION),
      pageSize: await count('SELECT page_size AS n FROM pragma_page_size()'),
      bytes: await count('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()'),
    };
  } finally {
    await store.close();
  }
}

/**
 * A returning user's first page: `n` messages stored and the database closed, then opened again
 * (a new module instance, as a new worker) and the latest 50 of the conversation read.
 */
async function coldOpen(o: ColdOpenOptions): Promise<ColdOpenResult> {
  const filled = await open(o.name, 'idb-batch-atomic', 'jspi', { key: o.key });
  try {
    const messages = history(CONVERSATION, o.n, 200);
    const pages: Message[][] = [];
    for (let i = 0; i < messages.length; i += 500) pages.push(messages.slice(i, i + 500));
    await storePages(filled.store, pages, 'catch-up');
  } finally {
    await filled.store.close();
  }
  const t0 = performance.now();
  const { driver, store } = await open(o.name, 'idb-batch-atomic', 'jspi', { key: o.key });
  try {
    const rows = (await store.latest(CONVERSATION, 50)).length;
    const firstPageMs = performance.now() - t0;
    const [size] = await driver.all<{ n: number }>('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()');
    return { firstPageMs, rows, bytes: size!.n };
  } finally {
    await store.close();
  }
}

async function storePages(store: LocalStore, pages: Message[][], mode: IngestOptions['mode']): Promise<void> {
  if (mode === 'pages') {
    for (const page of pages) await store.storeMessages(CONVERSATION, page);
  } else if (mode === 'pipelined') {
    await Promise.all(pages.map((page) => store.storeMessages(CONVERSATION, page)));
  } else {
    const writer = new CatchUpWriter<Message>((messages) => store.storeMessages(CONVERSATION, messages).then(() => {}), MAX_PAGES_AHEAD);
    for (const page of pages) await writer.add(page);
    await writer.drained();
  }
}

/** Prepares the ingest statements on another conversation, as a running engine has them. */
async function warmIngest(store: LocalStore): Promise<void> {
  await store.storeMessages('c_warm', history('c_warm', 4, 100));
}

/**
 * Where a burst of sends' time goes: the burst of {@link localCommit} on the shipped VFS and build,
 * through a driver that times each statement, with the IndexedDB requests counted.
 */
async function profileCommit(o: CommitOptions): Promise<Breakdown> {
  const { store, timing } = await open(o.name, o.vfs, o.build, { timing: true });
  try {
    for (const input of sends(`${o.name}-warm`, 3, 1, o.textBytes)) await store.enqueue({ ...input, conversationId: 'c_warm' });
    timing!.reset();
    const idb = countIdb();
    const t0 = performance.now();
    await Promise.all(sends(o.name, o.n, 10, o.textBytes).map((input) => store.enqueue(input)));
    return { 'burst wall ms': performance.now() - t0, ...timing!.report(), ...idb.stop() };
  } finally {
    await store.close();
  }
}

/**
 * Where a catch-up's time goes: {@link ingest} in `o.mode`, each statement timed,
 * the IndexedDB requests counted; then, in a transaction rolled back, the bare cost of one driver
 * call and of one message INSERT with and without the FTS trigger, one and 100 rows per statement.
 */
async function profileIngest(o: IngestOptions): Promise<Breakdown> {
  const { driver, store, timing } = await open(o.name, 'idb-batch-atomic', 'jspi', { timing: true });
  try {
    await warmIngest(store);
    const messages = history(CONVERSATION, o.n, o.contentBytes);
    timing!.reset();
    const idb = countIdb();
    const t0 = performance.now();
    const pages: Message[][] = [];
    for (let i = 0; i < messages.length; i += o.page) pages.push(messages.slice(i, i + o.page));
    await storePages(store, pages, o.mode);
    const out: Breakdown = { 'catch-up wall ms': performance.now() - t0, ...timing!.report(), ...idb.stop() };
    Object.assign(out, await statementCosts(driver, (messages[0]!.content as { text: string }).text, Math.min(2000, o.n)));
    return out;
  } finally {
    await store.close();
  }
}

/** µs per call or row of bare statements on `driver`, `n` of each, in a transaction rolled back. */
async function statementCosts(driver: SqlDriver, text: string, n: number): Promise<Breakdown> {
  const out: Breakdown = {};
  // The search text is derived from content: a type search does not know has none, so no FTS.
  const content = JSON.stringify({ type: 'text', text });
  const unindexed = JSON.stringify({ type: 'unindexed', text });
  const columns = '(id, sender_id, conversation_id, seq, content, state, created_at, server_ts)';
  const row = "(?, 'p', 'c_profile', ?, ?, 'received', 1, 1)";
  const perItem = async (label: string, items: number, body: () => Promise<void>) => {
    const s = performance.now();
    await body();
    out[label] = ((performance.now() - s) * 1000) / items;
  };
  await driver
    .transaction(async (tx) => {
      await perItem('one driver call (SELECT 1), µs', n, async () => {
        for (let i = 0; i < n; i++) await tx.all('SELECT 1');
      });
      await perItem('INSERT of a message without FTS (no search text), 1 row per statement, µs/row', n, async () => {
        for (let i = 0; i < n; i++) await tx.run(`INSERT INTO messages ${columns} VALUES ${row}`, [`a${i}`, i + 1, unindexed]);
      });
      await perItem('INSERT of a message + FTS trigram trigger, 1 row per statement, µs/row', n, async () => {
        for (let i = 0; i < n; i++) await tx.run(`INSERT INTO messages ${columns} VALUES ${row}`, [`b${i}`, n + i + 1, content]);
      });
      const values = Array.from({ length: 100 }, () => row).join(', ');
      const batches = Math.floor(n / 100);
      await perItem('INSERT of a message without FTS, 100 rows per statement, µs/row', batches * 100, async () => {
        for (let b = 0; b < batches; b++) {
          const params: SqlValue[] = [];
          for (let r = 0; r < 100; r++) params.push(`c${b}-${r}`, 2 * n + b * 100 + r + 1, unindexed);
          await tx.run(`INSERT INTO messages ${columns} VALUES ${values}`, params);
        }
      });
      await perItem('INSERT of a message + FTS trigram trigger, 100 rows per statement, µs/row', batches * 100, async () => {
        for (let b = 0; b < batches; b++) {
          const params: SqlValue[] = [];
          for (let r = 0; r < 100; r++) params.push(`d${b}-${r}`, 3 * n + b * 100 + r + 1, content);
          await tx.run(`INSERT INTO messages ${columns} VALUES ${values}`, params);
        }
      });
      throw new RolledBack();
    })
    .catch((e: unknown) => {
      if (!(e instanceof RolledBack)) throw e;
    });
  return out;
}

class RolledBack extends Error {}

const ops = {
  info: () => ({ jspi: typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function', userAgent: navigator.userAgent }),
  clearAll,
  localCommit,
  idbCommit: (o: { name: string; n: number; mode: 'burst' | 'serial'; textBytes: number; durability?: IDBTransactionDurability }) =>
    idbCommit(o.name, ME, sends(o.name, o.n, 10, o.textBytes), o.mode, o.durability),
  ingest,
  coldOpen,
  profileCommit,
  profileIngest,
} satisfies Record<string, (arg: never) => unknown>;

export type StoreOps = typeof ops;

self.onconnect = (e: MessageEvent) => {
  const port = e.ports[0]!;
  port.onmessage = async ({ data }: MessageEvent<{ id: number; op: keyof typeof ops; arg: unknown }>) => {
    try {
      const fn = ops[data.op] as (arg: unknown) => unknown;
      port.postMessage({ id: data.id, ok: true, value: await fn(data.arg) });
    } catch (err) {
      const { name, message, stack } = err as Error;
      port.postMessage({ id: data.id, ok: false, error: { name, message, stack } });
    }
  };
};
