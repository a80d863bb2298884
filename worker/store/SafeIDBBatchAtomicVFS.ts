/**
 * IDBBatchAtomicVFS (wa-sqlite 2.0.6) with its locking and its commits of the main file changed.
 *
 * Readers share the database. The library takes, for every SHARED lock (every statement outside a
 * transaction), an exclusive Web Lock and a read-write, strict IndexedDB transaction to re-read the
 * file's metadata: two durable commits per read, and a read waits for a whole write transaction.
 * Here the Web Locks follow WebLocksMixin's 'shared+hint' policy (readers hold the access lock
 * shared; a writer holds it only from EXCLUSIVE, i.e. while it commits; writers queue on the hint
 * lock, so two writers never deadlock: the driver sends PRAGMA write_hint before each write), and the
 * metadata is read in a readonly IndexedDB transaction. A read-only statement takes no read-write
 * IndexedDB transaction at all.
 *
 * A worker of an older deploy may hold the same database with the library's 'exclusive' policy,
 * which takes the mixin's `access` lock exclusively for any lock. Our mixin locks therefore live
 * under names of their own, and every lock level here also holds that old `access` lock in shared
 * mode from SHARED to NONE: an old connection waits for all of ours, and ours for it. It is taken
 * first and released last, so it cannot interleave with the other locks into a deadlock.
 *
 * A transaction's pages are committed at once. The library sends each page write to IndexedDB only
 * after the previous one succeeded; here the main file's writes stay in memory (PendingPages) until
 * SQLite syncs the file, then go in one IndexedDB transaction (IdbFileStore.commit) with every
 * request issued together. The journal (only when a transaction outgrows the page cache) and other
 * files keep the library's path; SQLite syncs the journal before it writes the main file, so the
 * order between the two stays. One atomic transaction also leaves nothing behind when it fails.
 *
 * The first page is kept as last committed or read, with the file version it belongs to. SQLite
 * re-reads the change counter in it at every lock (every transaction, every statement outside
 * one) to learn whether its page cache is still good; without the copy each of those is an
 * IndexedDB get, which for a 64 KiB page is a file read. The version in the metadata, read at every
 * SHARED lock, changes with any connection's commit, so a copy of another version is never used.
 * Pages are read through our own IndexedDB connection, each in a fresh read-only transaction: the
 * library's reads reuse a transaction while it is pending, which can answer from before a commit
 * (and a fresh page 1 would then keep SQLite's page cache alive over such pages).
 *
 * Failures are safe. The library's jLock and jUnlock await IndexedDB outside any try: when a commit
 * was aborted (quota), the rejection escapes to SQLite as a raw exception and the Web Lock the
 * connection holds is never released, so reopening the database in the same worker waits for that
 * lock forever. Here a failure releases the locks and becomes an I/O error; the driver then reopens
 * the connection.
 */
import { IDBBatchAtomicVFS } from '@journeyapps/wa-sqlite/src/examples/IDBBatchAtomicVFS.js';
import * as VFS from '@journeyapps/wa-sqlite/src/VFS.js';
import { IdbFileStore, type FileMetadata } from './idbFileStore';
import { PendingPages } from './pendingPages';

interface VfsFile {
  path: string;
  flags: number;
  metadata: FileMetadata;
  txOptions: { durability: IDBTransactionDurability };
}

type LockMethod = (fileId: number, lockType: number) => Promise<number>;
interface BatchAtomicVfs extends Omit<SQLiteVFS, 'isReady'> {
  readonly name: string;
  lastError: unknown;
  mapIdToFile: Map<number, VfsFile>;
  getFilename(fileId: number): string;
  jClose(fileId: number): Promise<number>;
  jRead(fileId: number, pData: Uint8Array, iOffset: number): Promise<number>;
  jWrite(fileId: number, pData: Uint8Array, iOffset: number): number;
  jTruncate(fileId: number, iSize: number): number;
  jSync(fileId: number, flags: number): Promise<number>;
  jFileControl(fileId: number, op: number, pArg: DataView): number | Promise<number>;
  jLock(fileId: number, lockType: number): Promise<number>;
  jUnlock(fileId: number, lockType: number): Promise<number>;
  isReady(): Promise<void>;
  close(): void;
}

// The library's own typings describe an older class: describe the 2.0.6 one.
const Base = IDBBatchAtomicVFS as unknown as new (name: string, module: unknown, options?: object) => BatchAtomicVfs;
/** WebLocksMixin, the class IDBBatchAtomicVFS extends: its methods only take and release Web Locks. */
const mixin = Object.getPrototypeOf(IDBBatchAtomicVFS.prototype) as { jLock: LockMethod; jUnlock: LockMethod };

export class SafeIDBBatchAtomicVFS extends Base {
  /** Releases of the old-deploy `access` lock held in shared mode, by file. */
  readonly #legacyAccess = new Map<number, () => void>();
  readonly #files: IdbFileStore;
  /** The main file's writes of the transaction in progress, by file. */
  readonly #pending = new Map<number, PendingPages>();
  /** The first page of each main file, at the file version it was committed or read at. */
  readonly #firstPage = new Map<number, { version: number; data: Uint8Array }>();

  constructor(name: string, module: unknown, options?: object) {
    super(name, module, options);
    this.#files = new IdbFileStore((options as { idbName?: string } | undefined)?.idbName ?? name);
  }

  /** Like IDBBatchAtomicVFS.create (which would construct the base class). */
  static async create(name: string, module: unknown, options?: object): Promise<SafeIDBBatchAtomicVFS> {
    const vfs = new SafeIDBBatchAtomicVFS(name, module, { lockPolicy: 'shared+hint', ...options });
    try {
      await Promise.all([vfs.isReady(), vfs.#files.ready()]);
    } catch (e) {
      vfs.close();
      throw e;
    }
    return vfs;
  }

  override close(): void {
    this.#files.close();
    super.close();
  }

  override async jClose(fileId: number): Promise<number> {
    this.#firstPage.delete(fileId);
    return super.jClose(fileId);
  }

  override async jRead(fileId: number, pData: Uint8Array, iOffset: number): Promise<number> {
    const pending = this.#pending.get(fileId);
    if (pending?.read(pData, iOffset)) return VFS.SQLITE_OK;
    const file = this.#mainFile(fileId);
    if (!file) return super.jRead(fileId, pData, iOffset);
    const first = this.#firstPage.get(fileId);
    if (first && first.version === file.metadata.version && iOffset + pData.byteLength <= first.data.byteLength) {
      pData.set(first.data.subarray(iOffset, iOffset + pData.byteLength));
      return VFS.SQLITE_OK;
    }
    const rc = await this.#readCommitted(file, pData, iOffset);
    // A whole first page read outside a write transaction: what is committed at this version.
    if (rc === VFS.SQLITE_OK && iOffset === 0 && pData.byteLength >= 512 && !pending?.active) {
      this.#firstPage.set(fileId, { version: file.metadata.version, data: pData.slice() });
    }
    return rc;
  }

  /** `pData` from the main file's committed blocks, as the library's jRead does, through our connection. */
  async #readCommitted(file: VfsFile, pData: Uint8Array, iOffset: number): Promise<number> {
    try {
      let done = 0;
      while (done < pData.byteLength) {
        const at = iOffset + done;
        const block = await this.#files.readBlock(file.path, at);
        // `block.offset` is the block's file offset negated.
        const start = -(block?.offset ?? 0);
        if (!block || start + block.data.byteLength <= at) {
          pData.fill(0, done);
          return VFS.SQLITE_IOERR_SHORT_READ;
        }
        const n = Math.min(start + block.data.byteLength - at, pData.byteLength - done);
        pData.set(block.data.subarray(at - start, at - start + n), done);
        done += n;
      }
      return VFS.SQLITE_OK;
    } catch (e) {
      this.lastError = e;
      return VFS.SQLITE_IOERR_READ;
    }
  }

  override jWrite(fileId: number, pData: Uint8Array, iOffset: number): number {
    const file = this.#mainFile(fileId);
    if (!file) return super.jWrite(fileId, pData, iOffset);
    this.#pagesOf(fileId).write(file, pData, iOffset);
    return VFS.SQLITE_OK;
  }

  override jTruncate(fileId: number, iSize: number): number {
    const file = this.#mainFile(fileId);
    if (!file) return super.jTruncate(fileId, iSize);
    this.#pagesOf(fileId).truncate(file, iSize);
    return VFS.SQLITE_OK;
  }

  override async jSync(fileId: number, flags: number): Promise<number> {
    try {
      await this.#commit(fileId);
    } catch (e) {
      this.lastError = e;
      return VFS.SQLITE_IOERR_FSYNC;
    }
    return super.jSync(fileId, flags);
  }

  override jFileControl(fileId: number, op: number, pArg: DataView): number | Promise<number> {
    const file = this.#mainFile(fileId);
    if (file && op === VFS.SQLITE_FCNTL_ROLLBACK_ATOMIC_WRITE) {
      this.#pending.get(fileId)?.abandon(file);
      return VFS.SQLITE_OK;
    }
    return super.jFileControl(fileId, op, pArg);
  }

  /** The base of the mixin's lock names: apart from those of the library's 'exclusive' policy. */
  override getFilename(fileId: number): string {
    return `${super.getFilename(fileId)}#shared`;
  }

  override async jLock(fileId: number, lockType: number): Promise<number> {
    try {
      if (lockType !== VFS.SQLITE_LOCK_SHARED) return await mixin.jLock.call(this, fileId, lockType);
      await this.#holdLegacyAccess(fileId);
      const rc = await mixin.jLock.call(this, fileId, lockType);
      if (rc !== VFS.SQLITE_OK) {
        this.#releaseLegacyAccess(fileId);
        return rc;
      }
      // What other connections committed since this one last held a lock.
      const file = this.mapIdToFile.get(fileId)!;
      file.metadata = await this.#files.read(file.path);
      return VFS.SQLITE_OK;
    } catch (e) {
      this.lastError = e;
      await mixin.jUnlock.call(this, fileId, VFS.SQLITE_LOCK_NONE);
      this.#releaseLegacyAccess(fileId);
      return VFS.SQLITE_IOERR_LOCK;
    }
  }

  override async jUnlock(fileId: number, lockType: number): Promise<number> {
    try {
      // Written but never synced (synchronous=OFF): commit before others may read.
      await this.#commit(fileId);
      return await super.jUnlock(fileId, lockType);
    } catch (e) {
      this.lastError = e;
      await mixin.jUnlock.call(this, fileId, lockType);
      return VFS.SQLITE_IOERR_UNLOCK;
    } finally {
      if (lockType === VFS.SQLITE_LOCK_NONE) this.#releaseLegacyAccess(fileId);
    }
  }

  #mainFile(fileId: number): VfsFile | null {
    const file = this.mapIdToFile.get(fileId);
    return file && file.flags & VFS.SQLITE_OPEN_MAIN_DB ? file : null;
  }

  #pagesOf(fileId: number): PendingPages {
    let pages = this.#pending.get(fileId);
    if (!pages) this.#pending.set(fileId, (pages = new PendingPages()));
    return pages;
  }

  /** The main file's pending writes, in one IndexedDB transaction; on failure the file is as before them. */
  async #commit(fileId: number): Promise<void> {
    const pages = this.#pending.get(fileId);
    if (!pages?.active) return;
    const file = this.mapIdToFile.get(fileId)!;
    const { commit, restore } = pages.take(file);
    this.#firstPage.delete(fileId);
    try {
      await this.#files.commit(commit, file.txOptions.durability);
    } catch (e) {
      restore();
      throw e;
    }
    const first = commit.truncatedTo === null ? commit.blocks.find((b) => b.offset === 0) : undefined;
    if (first) this.#firstPage.set(fileId, { version: commit.metadata.version, data: first.data });
  }

  /** The lock the library's 'exclusive' policy takes for everything, here held shared. */
  #holdLegacyAccess(fileId: number): Promise<void> {
    if (this.#legacyAccess.has(fileId)) return Promise.resolve();
    const name = `lock##${super.getFilename(fileId)}##access`;
    return new Promise((resolve, reject) => {
      navigator.locks
        .request(name, { mode: 'shared' }, () => {
          return new Promise<void>((release) => {
            this.#legacyAccess.set(fileId, release);
            resolve();
          });
        })
        .catch(reject);
    });
  }

  #releaseLegacyAccess(fileId: number): void {
    this.#legacyAccess.get(fileId)?.();
    this.#legacyAccess.delete(fileId);
  }
}
