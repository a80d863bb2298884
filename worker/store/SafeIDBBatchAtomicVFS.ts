/**
 * IDBBatchAtomicVFS (wa-sqlite 2.0.6) with two changes to its locking.
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
 * Failures are safe. The library's jLock and jUnlock await IndexedDB outside any try: when a commit
 * was aborted (quota), the rejection escapes to SQLite as a raw exception and the Web Lock the
 * connection holds is never released, so reopening the database in the same worker waits for that
 * lock forever. Here a failure releases the locks and becomes an I/O error; the driver then reopens
 * the connection.
 */
import { IDBBatchAtomicVFS } from '@journeyapps/wa-sqlite/src/examples/IDBBatchAtomicVFS.js';
import * as VFS from '@journeyapps/wa-sqlite/src/VFS.js';
import { IdbFileMetadata, type FileMetadata } from './idbFileMetadata';

type LockMethod = (fileId: number, lockType: number) => Promise<number>;
interface BatchAtomicVfs extends Omit<SQLiteVFS, 'isReady'> {
  readonly name: string;
  lastError: unknown;
  mapIdToFile: Map<number, { path: string; metadata: FileMetadata }>;
  getFilename(fileId: number): string;
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
  #metadata: IdbFileMetadata | null = null;

  /** Like IDBBatchAtomicVFS.create (which would construct the base class). */
  static async create(name: string, module: unknown, options?: object): Promise<SafeIDBBatchAtomicVFS> {
    const vfs = new SafeIDBBatchAtomicVFS(name, module, { lockPolicy: 'shared+hint', ...options });
    await vfs.isReady();
    try {
      vfs.#metadata = await IdbFileMetadata.open(name);
    } catch (e) {
      vfs.close();
      throw e;
    }
    return vfs;
  }

  override close(): void {
    this.#metadata?.close();
    super.close();
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
      file.metadata = await this.#metadata!.read(file.path);
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
      return await super.jUnlock(fileId, lockType);
    } catch (e) {
      this.lastError = e;
      await mixin.jUnlock.call(this, fileId, lockType);
      return VFS.SQLITE_IOERR_UNLOCK;
    } finally {
      if (lockType === VFS.SQLITE_LOCK_NONE) this.#releaseLegacyAccess(fileId);
    }
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
