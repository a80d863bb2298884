/**
 * The file metadata IDBBatchAtomicVFS keeps in IndexedDB (object store `metadata`, one record per
 * file: size and version), read through a connection of our own: the VFS's own IndexedDB access is
 * private to the library's class. Reading it is what a SHARED lock needs to learn what other
 * connections committed, and a readonly transaction is enough for that.
 */

/** IDBBatchAtomicVFS's record (src/examples/IDBBatchAtomicVFS.js, `Metadata`). */
export interface FileMetadata {
  name: string;
  fileSize: number;
  /** Decreases with each commit: blocks carry the version that wrote them. */
  version: number;
  /** Set while a transaction writes; still set after a writer died mid-commit. */
  pendingVersion?: number;
}

export class IdbFileMetadata {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens the IndexedDB database the VFS created (at whatever version it is). */
  static open(idbName: string): Promise<IdbFileMetadata> {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(idbName);
      request.onsuccess = () => resolve(new IdbFileMetadata(request.result));
      request.onerror = () => reject(request.error);
    });
  }

  /**
   * The committed metadata of `path`, in a readonly transaction. A record left with a
   * pendingVersion (a writer died mid-commit) is repaired first, as the library does at every
   * SHARED lock: the dead transaction's blocks are removed. The caller holds a SHARED lock, so no
   * live writer is committing (that takes the EXCLUSIVE lock); two repairs of one record agree.
   */
  async read(path: string): Promise<FileMetadata> {
    const tx = this.db.transaction('metadata', 'readonly');
    const m = await request<FileMetadata | undefined>(tx.objectStore('metadata').get(path));
    if (!m) throw new Error(`no metadata for ${path}`);
    return m.pendingVersion === undefined ? m : this.removeFailedTransaction(path);
  }

  close(): void {
    this.db.close();
  }

  private async removeFailedTransaction(path: string): Promise<FileMetadata> {
    const tx = this.db.transaction(['metadata', 'blocks'], 'readwrite', { durability: 'strict' });
    const metadata = tx.objectStore('metadata');
    const m = await request<FileMetadata>(metadata.get(path));
    if (m.pendingVersion !== undefined) {
      console.warn(`parley: removing the blocks of a transaction that never committed (${path})`);
      const range = IDBKeyRange.bound([path, -Infinity], [path, Infinity]);
      await new Promise<void>((resolve, reject) => {
        const cursorRequest = tx.objectStore('blocks').openCursor(range);
        cursorRequest.onsuccess = () => {
          const cursor = cursorRequest.result;
          if (!cursor) return resolve();
          if ((cursor.value as { version: number }).version < m.version) cursor.delete();
          cursor.continue();
        };
        cursorRequest.onerror = () => reject(cursorRequest.error);
      });
      delete m.pendingVersion;
      metadata.put(m);
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    });
    return m;
  }
}

function request<T>(r: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result as T);
    r.onerror = () => reject(r.error);
  });
}
