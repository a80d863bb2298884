/**
 * IDBBatchAtomicVFS (wa-sqlite 2.0.6) with its lock methods made failure-safe. Its jLock and
 * jUnlock await IndexedDB outside any try: when a commit was aborted (quota), the rejection escapes
 * to SQLite as a raw exception and the Web Lock the connection holds is never released, so
 * reopening the database in the same worker waits for that lock forever. Here a failure releases
 * the lock and becomes an I/O error; the driver then reopens the connection.
 */
import { IDBBatchAtomicVFS } from '@journeyapps/wa-sqlite/src/examples/IDBBatchAtomicVFS.js';
import * as VFS from '@journeyapps/wa-sqlite/src/VFS.js';

type LockMethod = (fileId: number, lockType: number) => Promise<number>;
interface BatchAtomicVfs extends Omit<SQLiteVFS, 'isReady'> {
  lastError: unknown;
  jLock(fileId: number, lockType: number): Promise<number>;
  jUnlock(fileId: number, lockType: number): Promise<number>;
  isReady(): Promise<void>;
  close(): void;
}

// The library's own typings describe an older class: describe the 2.0.6 one.
const Base = IDBBatchAtomicVFS as unknown as new (name: string, module: unknown, options?: object) => BatchAtomicVfs;
/** WebLocksMixin's jUnlock, the class IDBBatchAtomicVFS extends: it only releases Web Locks. */
const releaseWebLocks = (Object.getPrototypeOf(IDBBatchAtomicVFS.prototype) as { jUnlock: LockMethod }).jUnlock;

export class SafeIDBBatchAtomicVFS extends Base {
  /** Like IDBBatchAtomicVFS.create (which would construct the base class). */
  static async create(name: string, module: unknown, options?: object): Promise<SafeIDBBatchAtomicVFS> {
    const vfs = new SafeIDBBatchAtomicVFS(name, module, options);
    await vfs.isReady();
    return vfs;
  }

  override async jLock(fileId: number, lockType: number): Promise<number> {
    try {
      return await super.jLock(fileId, lockType);
    } catch (e) {
      this.lastError = e;
      await releaseWebLocks.call(this, fileId, VFS.SQLITE_LOCK_NONE);
      return VFS.SQLITE_IOERR_LOCK;
    }
  }

  override async jUnlock(fileId: number, lockType: number): Promise<number> {
    try {
      return await super.jUnlock(fileId, lockType);
    } catch (e) {
      this.lastError = e;
      await releaseWebLocks.call(this, fileId, lockType);
      return VFS.SQLITE_IOERR_UNLOCK;
    }
  }
}
