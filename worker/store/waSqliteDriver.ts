/**
 * SqlDriver on wa-sqlite (@journeyapps/wa-sqlite 2.0.6) for a worker: a SharedWorker (no OPFS
 * sync access handles there, so only IndexedDB-backed VFSes) or a dedicated Worker.
 *
 * Measured 2026-11-27, headless Chromium 156 (Debian), inside a SharedWorker, through this driver
 * (test/e2e/store-bench.spec.ts; `PARLEY_BENCH=1 npx playwright test store-bench`). Rows go into
 * `messages` with its FTS5 trigram trigger; synchronous=FULL, cache_size=-16384 for both VFSes. Two
 * runs (median of 3 in the second) on a 2-CPU machine shared with other jobs, so ±50%; the ratios held
 * in every run.
 *
 *   VFS / build               open   1-row tx commit p50   1k rows,1 tx   10k rows,10 tx   reopen 4.4 MB / 21 MB   cold latest-50 (21 MB)
 *   IDBBatchAtomic / JSPI     340-410 ms   11.7-15 ms     177-237 ms     1.9-2.2 s        106-118 / 131-146 ms    40-54 ms
 *   IDBBatchAtomic / Asyncify 600-920 ms   12.6-17 ms     507-752 ms     2.8-3.4 s        185-211 ms / -          -
 *   IDBMirror / JSPI          220-410 ms    5.5-9.5 ms    142-330 ms     1.5-2.2 s        224-334 / 721-932 ms    2 ms
 *   IDBMirror / Asyncify      410-570 ms    5.8-15 ms     333-821 ms     1.8-3.7 s        278-451 ms / -          -
 *   in-memory / JSPI          176-255 ms    0.2 ms        (Liftoff)      1.2-1.8 s        -
 *   locking_mode=EXCLUSIVE: IDBBatchAtomic 2-3x slower commits (its journal stays open, so no batch-atomic
 *   writes); IDBMirror no change. Not used.
 *   CPU per call (in-memory, JSPI): ~100 µs per driver call (the library's async step/reset wrappers), insert
 *   with FTS trigram ~190-290 µs/row one per call, ~60-70 µs/row with 100 rows per INSERT: batch catch-up writes.
 *
 * Default: IDBBatchAtomicVFS + JSPI.
 * - JSPI over Asyncify: half the .wasm (1.1 vs 2.3 MB), faster open (the compile) and ~2.5x faster bulk
 *   transactions; commit latency is I/O-bound and equal. Asyncify stays as the fallback for browsers
 *   without JSPI (no WebAssembly.Suspending).
 * - IDBBatchAtomic over IDBMirror, although IDBMirror commits ~2x faster: IDBMirror reads the whole
 *   database into the worker's memory on every open, so open time and RAM grow with the history
 *   (721-932 ms at 21 MB vs 131-146 ms, ~50k messages; a heavy user's 100k+ messages would cost seconds
 *   at each first tab), and its FULL commit only awaits IndexedDB's default durability, which Chromium
 *   treats as relaxed (a bare IndexedDB put: default 1.35 ms, relaxed 1.34, strict 2.06), where
 *   IDBBatchAtomic's is 'strict' (fsync). The commit latency gap is what group commit absorbs; open time
 *   and memory are paid by every user on every worker start. Both need the reopen-after-I/O-error below.
 */
import * as SQLite from '@journeyapps/wa-sqlite';
import AsyncifyFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite-async.mjs';
import JspiFactory from '@journeyapps/wa-sqlite/dist/wa-sqlite-jspi.mjs';
import { IDBMirrorVFS } from '@journeyapps/wa-sqlite/src/examples/IDBMirrorVFS.js';
import { SafeIDBBatchAtomicVFS } from './SafeIDBBatchAtomicVFS';
import { ConnectionLane } from './ConnectionLane';
import type { SqlDriver, SqlExecutor, SqlRunResult, SqlValue, StorageDurability } from './SqlDriver';
import { WA_SQLITE_CIPHER_WASM, WA_SQLITE_WASM, type WaSqliteBuild } from './waSqliteAssets';
import { ErrorCode, ParleyError } from '../../schema';
import { checkKey, cipherVfsOver, isNotReadable, keyRejected, keyStatement } from './cipher';
import { type ConnectionOptions, NotReadOnlyError, type QuotaMonitor, type SqliteModule, WaSqliteConnection } from './waSqliteConnection';

export type { WaSqliteBuild } from './waSqliteAssets';
export type WaSqliteVfs = 'idb-batch-atomic' | 'idb-mirror' | 'memory';

export interface WaSqliteOptions {
  /** The database's name, one per user: it names the IndexedDB database and the SQLite file. */
  name: string;
  /** Default: DEFAULT_VFS. 'memory' keeps nothing once the worker ends. */
  vfs?: WaSqliteVfs;
  /** Default: 'jspi' where WebAssembly.Suspending exists, else 'asyncify' (also the fallback when 'jspi' is asked for but missing). */
  build?: WaSqliteBuild;
  /** Where the .wasm of the chosen build is; default: beside the worker script (self.location). */
  wasmUrl?: string;
  /**
   * Let reads run on a second, read-only connection while the writer is busy (idb-batch-atomic
   * only; default true; a second wasm instance, opened the first time a read finds the writer
   * busy). It was off for a while: the browser chaos run saw views go back in time with it, because
   * the library read pages in a pending IndexedDB transaction that could predate a commit; the VFS
   * now reads each page in a fresh transaction, and the same run counts 0 with it on.
   */
  readerConnection?: boolean;
  /**
   * Encrypts the database at rest with this key (see cipher.ts): the SQLite3MultipleCiphers build
   * is loaded instead of the plain one. A database written before without a key is encrypted in
   * place on this open. Rejects with KEY_REJECTED when the database was encrypted with another key.
   * The key stays in this worker's memory only.
   */
  key?: string;
}

/** A SqlDriver that also says what it ended up running on (after fallbacks). */
export interface WaSqliteDriver extends SqlDriver {
  readonly vfs: WaSqliteVfs;
  readonly build: WaSqliteBuild;
  /**
   * Opens, if not yet, the connection reads use while the writer is busy (otherwise opened by the
   * first such read), and resolves true once it is open; false when there is none (other VFSes, or
   * it failed to open: reads then share the writer's queue).
   */
  readonly readerReady: Promise<boolean>;
  /** Whether the database is encrypted at rest. */
  readonly encrypted: boolean;
  /**
   * Re-encrypts every page with `key` (an encrypted database only), in one transaction: a failure
   * leaves it readable with the old key. Later connections open with the new one.
   */
  rekey(key: string): Promise<void>;
}

/** See the measurements at the top of this file. */
export const DEFAULT_VFS: WaSqliteVfs = 'idb-batch-atomic';
export const DEFAULT_BUILD: WaSqliteBuild = 'jspi';

/**
 * PRAGMAs per VFS, run right after open.
 * - synchronous=FULL: COMMIT resolves only once IndexedDB has committed, so a quota failure
 *   fails the COMMIT (with NORMAL the VFSes write in the background and the error is lost).
 * - temp_store=MEMORY: temp tables and sort files never go to IndexedDB.
 * - IDBBatchAtomicVFS, cache_size: it writes a transaction as one atomic IndexedDB batch, with no
 *   journal, only while the transaction's pages fit in the page cache; a spill also writes a rollback
 *   journal to IndexedDB. 16 MiB (allocated as used) covers large catch-up batches. journal_mode
 *   stays DELETE: that journal is real, and needed, when a transaction spills.
 * - IDBMirrorVFS, journal_mode=MEMORY: it keeps non-database files in memory anyway and commits each
 *   transaction as one IndexedDB transaction, so MEMORY only skips creating and deleting that file.
 *   The default page cache is enough: every page is in memory already.
 */
const PRAGMAS: Record<WaSqliteVfs, string> = {
  'idb-batch-atomic': 'PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;',
  'idb-mirror': 'PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA journal_mode=MEMORY;',
  memory: 'PRAGMA temp_store=MEMORY;',
};

/**
 * PRAGMAs run before {@link PRAGMAS} when the database is new (no page yet); IDBBatchAtomicVFS
 * refuses to change the page size of a file that has content, failing the open.
 * - IDBBatchAtomicVFS, page_size=65536 (an older database keeps 4096, which the VFS reads and writes
 *   alike): each page is one IndexedDB record, and Chromium stores a value over 64 KiB as a file of
 *   its own instead of in its key-value store. Measured in a SharedWorker (bench `ingest`,
 *   `local-commit`, quiet VM): a catch-up of 10,000 with its pages merged 4.2k → 11.3k msg/s
 *   (16 KiB: 7.3k; 32 KiB: 8.6k); a burst of 500 sends unchanged; one send alone 10.5 → ~16 ms,
 *   since each page it touches is rewritten whole.
 */
const NEW_DATABASE_PRAGMAS: Record<WaSqliteVfs, string> = {
  'idb-batch-atomic': 'PRAGMA page_size=65536;',
  'idb-mirror': '',
  memory: '',
};

type ModuleFactory = (config?: object) => Promise<SqliteModule>;
/** What the driver uses of a VFS class (the library's typings lag its 2.0.6 API). */
interface VfsClass {
  create(name: string, module: unknown, options?: object): Promise<{ readonly name: string; close?(): unknown }>;
}

/**
 * Both builds' Emscripten glue is bundled (only the chosen .wasm is fetched). Loading the Asyncify
 * glue with import() only where JSPI is missing was measured: it saves only 8 kB brotli (the two
 * glues compress together), and import() in a classic worker is the least portable part of the path.
 */
const FACTORIES: Record<WaSqliteBuild, ModuleFactory> = { jspi: JspiFactory, asyncify: AsyncifyFactory };

/**
 * The SQLite3MultipleCiphers builds, for an encrypted database: registered by the worker bundle
 * that has them (worker/store/cipherBuilds.ts, in parley-worker-encrypted.js), so that the plain
 * worker, which most shops run, does not carry their glue (~15 kB brotli).
 */
export interface CipherBuilds {
  factories: Record<WaSqliteBuild, ModuleFactory>;
  /** Each build's .wasm beside the worker script. */
  wasmBesideWorker: Record<WaSqliteBuild, () => string>;
}
let cipherBuilds: CipherBuilds | null = null;

export function registerCipherBuilds(builds: CipherBuilds): void {
  cipherBuilds = builds;
}

function cipher(): CipherBuilds {
  if (!cipherBuilds) {
    throw new ParleyError(ErrorCode.INVALID_PARAMS, 'this worker has no cipher build: an encrypted database needs parley-worker-encrypted.js (connect starts it for `encryption`; check workerUrl)');
  }
  return cipherBuilds;
}
const VFS_CLASSES: Record<Exclude<WaSqliteVfs, 'memory'>, VfsClass> = {
  'idb-batch-atomic': SafeIDBBatchAtomicVFS,
  'idb-mirror': IDBMirrorVFS,
};

/** Names open in this worker: one driver per database (it opens the connections it needs). */
const openNames = new Set<string>();

/**
 * Open (creating if needed) the database `name`. Falls back to an in-memory database, with
 * durability 'memory', when IndexedDB is missing or fails to open (private mode, blocked storage).
 * Rejects only when SQLite itself cannot load (the .wasm is unreachable) or `name` is already open.
 */
export async function openWaSqlite(options: WaSqliteOptions): Promise<WaSqliteDriver> {
  const { name, key } = options;
  if (key !== undefined) checkKey(key);
  if (openNames.has(name)) throw new Error(`database "${name}" is already open in this worker: close it first`);
  openNames.add(name);
  try {
    const build = options.build === 'asyncify' || !hasJspi() ? 'asyncify' : (options.build ?? DEFAULT_BUILD);
    const encrypted = key !== undefined;
    const wasmUrl = options.wasmUrl ?? wasmFromWorkerUrl(build, encrypted) ?? (encrypted ? cipher().wasmBesideWorker : WASM_BESIDE_WORKER)[build]();
    const load = () => loadSqlite(build, wasmUrl, encrypted);
    // Read at each (re)open: a rekey changes it.
    const keys = { current: key };
    const first = await load();
    const wanted = options.vfs ?? DEFAULT_VFS;
    if (wanted !== 'memory') {
      const [conn, durability] = await Promise.all([
        openStored(first, load, wanted, name, keys.current).catch((e: unknown) => {
          if (ParleyError.is(e, ErrorCode.KEY_REJECTED)) throw e; // not storage trouble: the caller must know
          console.warn(`parley: IndexedDB storage unavailable (${String(e)}); using an in-memory database`);
          return null;
        }),
        storagePersistence(),
      ]);
      if (conn) {
        const reopen = async () => openIndexedDb(await load(), wanted, name, 'writer', keys.current);
        const openReader =
          wanted === 'idb-batch-atomic' && options.readerConnection !== false ? async () => openIndexedDb(await load(), wanted, name, 'reader', keys.current) : null;
        return new Driver(conn, wanted, build, durability, name, reopen, openReader, keys);
      }
    }
    return new Driver(await openMemory(first), 'memory', build, 'memory', name, null, null, keys);
  } catch (e) {
    openNames.delete(name);
    throw e;
  }
}

interface Sqlite {
  module: SqliteModule;
  sqlite3: SQLiteAPI;
}

/** A new instance of the WebAssembly module (each connection has its own, and its own queue). */
async function loadSqlite(build: WaSqliteBuild, wasmUrl: string, encrypted: boolean): Promise<Sqlite> {
  const module = await (encrypted ? cipher().factories : FACTORIES)[build]({ locateFile: () => wasmUrl });
  return { module, sqlite3: SQLite.Factory(module) };
}

/** 'reader': read-only, with a smaller page cache (a commit by the writer empties it anyway). */
type Role = 'writer' | 'reader';
const READER_PRAGMAS = 'PRAGMA temp_store=MEMORY; PRAGMA cache_size=-4096;';

/**
 * The writer's first open. With a key, a database that does not read with it is either from before
 * encryption was turned on, which is then encrypted in place (once: a fresh module instance opens it
 * without a key and rekeys it), or encrypted with another key: KEY_REJECTED, nothing written.
 */
async function openStored(
  first: Sqlite,
  load: () => Promise<Sqlite>,
  vfsKind: Exclude<WaSqliteVfs, 'memory'>,
  name: string,
  key: string | undefined,
): Promise<WaSqliteConnection> {
  try {
    return await openIndexedDb(first, vfsKind, name, 'writer', key);
  } catch (e) {
    if (key === undefined || !isNotReadable(e)) throw e;
  }
  const plain = await openIndexedDb(await load(), vfsKind, name, 'writer', undefined, { cipherVfs: true }).catch((e: unknown) => {
    if (isNotReadable(e)) throw keyRejected();
    throw e;
  });
  try {
    await plain.exec(keyStatement('rekey', key));
  } finally {
    await plain.close();
  }
  return openIndexedDb(await load(), vfsKind, name, 'writer', key);
}

async function openIndexedDb(
  { module, sqlite3 }: Sqlite,
  vfsKind: Exclude<WaSqliteVfs, 'memory'>,
  name: string,
  role: Role = 'writer',
  key?: string,
  { cipherVfs = key !== undefined }: { cipherVfs?: boolean } = {},
): Promise<WaSqliteConnection> {
  if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB in this context');
  const quota = { quotaAborts: 0 };
  const vfs = await watchQuota(quota, () => VFS_CLASSES[vfsKind].create(name, module));
  const closeVfs = async () => {
    await vfs.close?.();
  };
  try {
    sqlite3.vfs_register(vfs as unknown as SQLiteVFS, false);
    // The file name also names the VFS's Web Locks and BroadcastChannel: keep it per database.
    const file = `${encodeURIComponent(name)}.sqlite3`;
    const vfsName = cipherVfs ? cipherVfsOver(module, vfs.name) : vfs.name;
    const first = key === undefined ? '' : keyStatement('key', key);
    if (role === 'reader') return await openDatabase({ module, sqlite3 }, file, vfsName, { first, always: READER_PRAGMAS }, quota, closeVfs, SQLite.SQLITE_OPEN_READONLY);
    // SafeIDBBatchAtomicVFS lets readers share the database: writers queue on its write hint.
    const options = vfsKind === 'idb-batch-atomic' ? { beforeWrite: 'PRAGMA write_hint' } : {};
    return await openDatabase({ module, sqlite3 }, file, vfsName, { first, always: PRAGMAS[vfsKind], whenNew: NEW_DATABASE_PRAGMAS[vfsKind] }, quota, closeVfs, undefined, options);
  } catch (e) {
    await closeVfs().catch(() => {});
    throw e;
  }
}

function openMemory(sqlite: Sqlite): Promise<WaSqliteConnection> {
  return openDatabase(sqlite, ':memory:', undefined, { always: PRAGMAS.memory }, { quotaAborts: 0 }, () => {});
}

async function openDatabase(
  { module, sqlite3 }: Sqlite,
  file: string,
  vfsName: string | undefined,
  /** `first`: run before anything reads the file (the key). */
  pragmas: { first?: string; always: string; whenNew?: string },
  quota: QuotaMonitor,
  onClose: () => Promise<void> | void,
  flags: number = SQLite.SQLITE_OPEN_CREATE | SQLite.SQLITE_OPEN_READWRITE,
  options: ConnectionOptions = {},
): Promise<WaSqliteConnection> {
  const db = await sqlite3.open_v2(file, flags, vfsName);
  const conn = new WaSqliteConnection(sqlite3, module, db, quota, onClose, options);
  try {
    if (pragmas.first) await conn.exec(pragmas.first);
    if (pragmas.whenNew) {
      const [size] = await conn.all<{ pages: number }>('SELECT page_count AS pages FROM pragma_page_count()');
      if (size?.pages === 0) await conn.exec(pragmas.whenNew);
    }
    await conn.exec(pragmas.always);
    // Reads page 1: a storage that opens but cannot be read fails here, not on first use.
    await conn.all('SELECT count(*) AS n FROM sqlite_schema');
    return conn;
  } catch (e) {
    await conn.close().catch(() => {});
    throw e;
  }
}

/**
 * Create the VFS while watching the IndexedDB connection it opens: IndexedDB reports quota as a
 * transaction abort (QuotaExceededError), which the VFSes turn into a bare I/O error. Transaction
 * events propagate through their IDBDatabase; the listener is on the capture phase because the
 * VFS's own abort handler (at the target) resumes SQLite, which can finish the failing call within
 * the same dispatch, before the bubble phase. The VFSes call indexedDB.open synchronously in their
 * constructors, so the patch is in place only for that synchronous part.
 */
function watchQuota<T>(monitor: { quotaAborts: number }, create: () => Promise<T>): Promise<T> {
  const factory = indexedDB;
  const open = factory.open;
  const ownOpen = Object.hasOwn(factory, 'open');
  factory.open = (dbName: string, version?: number) => {
    const request = open.call(factory, dbName, version);
    request.addEventListener('success', () => {
      const onAbort = (ev: Event) => {
        if ((ev.target as IDBTransaction | null)?.error?.name === 'QuotaExceededError') monitor.quotaAborts++;
      };
      request.result.addEventListener('abort', onAbort, { capture: true });
    });
    return request;
  };
  try {
    return create();
  } finally {
    if (ownOpen) factory.open = open;
    else delete (factory as { open?: unknown }).open;
  }
}

/** 'persistent' if the browser will not evict this origin's storage under pressure. */
async function storagePersistence(): Promise<'persistent' | 'best_effort'> {
  // StorageManager.persist() exists only in windows; workers have persisted() only.
  const storage = (globalThis as { navigator?: { storage?: Partial<StorageManager> } }).navigator?.storage;
  try {
    if (await storage?.persisted?.()) return 'persistent';
    if (typeof storage?.persist === 'function' && (await storage.persist())) return 'persistent';
  } catch {
    // Storage API blocked: nothing to promise.
  }
  return 'best_effort';
}

function hasJspi(): boolean {
  return typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function';
}

/** The .wasm directory a tab named in the worker's URL fragment (`#wasm=<base>`, connect's wasmBaseUrl), if any. */
function wasmFromWorkerUrl(build: WaSqliteBuild, encrypted: boolean): string | null {
  const hash = (globalThis as { location?: { hash: string } }).location?.hash ?? '';
  const base = new URLSearchParams(hash.slice(1)).get('wasm');
  return base ? new URL((encrypted ? WA_SQLITE_CIPHER_WASM : WA_SQLITE_WASM)[build], base).href : null;
}

/**
 * Each build's .wasm beside the worker script, written as literal `new URL('./…', import.meta.url)`
 * so that a bundler building the worker into a shop's app (Vite, webpack 5) emits the file too. The
 * names are WA_SQLITE_WASM's (the build script copies those files beside the bundle).
 */
const WASM_BESIDE_WORKER: Record<WaSqliteBuild, () => string> = {
  jspi: () => new URL('./wa-sqlite-jspi.wasm', import.meta.url).href,
  asyncify: () => new URL('./wa-sqlite-async.wasm', import.meta.url).href,
};

/**
 * Two lanes over one database (IDBBatchAtomicVFS only): the writer's connection runs every write and
 * the reads that find no write there (its page cache is the warm one); while a write runs or waits
 * (a transaction in flight, or queued), reads go to a read-only connection of their own. They see what was committed
 * when they start, and wait only while a commit holds the EXCLUSIVE lock, never for a whole
 * transaction. A statement that could write (SQLite says so when it is prepared) always goes to the
 * writer. The read-only connection (a second module instance) is opened the first time a read finds
 * the writer busy, not at open: a cold start does not pay for it.
 */
class Driver implements WaSqliteDriver {
  readonly #writer: ConnectionLane;
  #reader: ConnectionLane | null = null;
  #readerOpening: Promise<boolean> | null = null;
  /** Bumped by a rekey: a reader opened before it is stale. */
  #readerGeneration = 0;
  /** Writes running or queued on the writer: reads go to the reader only then. */
  #writes = 0;
  #closed = false;

  constructor(
    conn: WaSqliteConnection,
    readonly vfs: WaSqliteVfs,
    readonly build: WaSqliteBuild,
    readonly durability: StorageDurability,
    private readonly name: string,
    reopen: (() => Promise<WaSqliteConnection>) | null,
    private readonly openReader: (() => Promise<WaSqliteConnection>) | null,
    /** The key later connections open with (a rekey changes it); undefined: not encrypted. */
    private readonly keys: { current: string | undefined },
  ) {
    this.#writer = new ConnectionLane(conn, reopen);
  }

  get encrypted(): boolean {
    return this.keys.current !== undefined && this.vfs !== 'memory';
  }

  async rekey(key: string): Promise<void> {
    checkKey(key);
    if (!this.encrypted) throw new ParleyError(ErrorCode.INVALID_PARAMS, 'this database is not encrypted: there is no key to change');
    await this.#write(async (c) => {
      await c.exec(keyStatement('rekey', key));
      this.keys.current = key;
    });
    // The reader decrypts with the old key: it is closed (an open under way closes itself as it
    // lands) and a new one opens with the new key when a read next needs it.
    this.#readerGeneration++;
    const stale = this.#reader;
    this.#reader = null;
    this.#readerOpening = null;
    await stale?.close();
  }

  get readerReady(): Promise<boolean> {
    return this.#startReader();
  }

  exec(sql: string): Promise<void> {
    return this.#write((c) => c.exec(sql));
  }

  all<T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    const writing = this.#writes > 0;
    const reader = writing ? this.#reader : null;
    if (writing && !reader) void this.#startReader();
    if (!reader) return this.#writer.run((c) => c.all<T>(sql, params));
    return reader.run((c) => c.allReadOnly<T>(sql, params)).catch((e: unknown) => {
      if (e instanceof NotReadOnlyError) return this.#writer.run((c) => c.all<T>(sql, params));
      throw e;
    });
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    return this.#write((c) => c.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#write((c) => c.transaction(fn));
  }

  #write<T>(job: (conn: WaSqliteConnection) => Promise<T>): Promise<T> {
    this.#writes++;
    return this.#writer.run(job).finally(() => this.#writes--);
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      openNames.delete(this.name);
    }
    await this.#readerOpening;
    await Promise.all([this.#writer.close(), this.#reader?.close()]);
  }

  #startReader(): Promise<boolean> {
    if (!this.openReader || this.#closed) return this.#readerOpening ?? Promise.resolve(false);
    const open = this.openReader;
    const generation = this.#readerGeneration;
    return (this.#readerOpening ??= open().then(
      async (reader) => {
        if (this.#closed || generation !== this.#readerGeneration) {
          await reader.close();
          return false;
        }
        this.#reader = new ConnectionLane(reader, open);
        return true;
      },
      (e: unknown) => {
        console.warn(`parley: no read-only connection (${String(e)}); reads share the writer's`);
        return false;
      },
    ));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
