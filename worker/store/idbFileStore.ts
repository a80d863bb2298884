/**
 * The files IDBBatchAtomicVFS keeps in IndexedDB (object store `metadata`, one record per file:
 * size and version; object store `blocks`, the pages keyed by [path, -offset, version]), reached
 * through a connection of our own: the VFS's own IndexedDB access is private to the library's class.
 * - Reading the metadata is what a SHARED lock needs to learn what other connections committed, and
 *   a readonly transaction is enough for that. Pages of the main file are read here too, each in
 *   a fresh readonly transaction.
 * - A write transaction's pages are committed in one IndexedDB transaction, every request issued at
 *   once. The library issues each page write only after the previous one succeeded (a round trip
 *   each, ~86 % of a catch-up's time), and marks the file pending in a first write so a crash
 *   between its transactions can be undone; one atomic transaction needs neither.
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

/** One page as the library stores it: `offset` is the file offset negated, so the newest version sorts first. */
export interface Block {
  path: string;
  offset: number;
  version: number;
  data: Uint8Array;
}

/** What one write transaction changes in a file, committed at once by {@link IdbFileStore.commit}. */
export interface FileCommit {
  /** The metadata after the commit (size, and the version the blocks carry). */
  metadata: FileMetadata;
  /** The file size before: older versions of pages below it are removed. */
  previousSize: number;
  blocks: readonly Block[];
  /** Set when the file shrank: blocks at or past this offset go. */
  truncatedTo: number | null;
}

export class IdbFileStore {
  readonly #db: Promise<IDBDatabase>;

  /**
   * Opens the IndexedDB database the VFS created (at whatever version it is). The open request is
   * made synchronously, so a quota watcher patching indexedDB.open around the constructor sees it.
   */
  constructor(idbName: string) {
    this.#db = new Promise((resolve, reject) => {
      const request = indexedDB.open(idbName);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    this.#db.catch(() => {}); // reported by ready()
  }

  async ready(): Promise<void> {
    await this.#db;
  }

  /**
   * The committed metadata of `path`, in a readonly transaction. A record left with a
   * pendingVersion (a writer died mid-commit) is repaired first, as the library does at every
   * SHARED lock: the dead transaction's blocks are removed. The caller holds a SHARED lock, so no
   * live writer is committing (that takes the EXCLUSIVE lock); two repairs of one record agree.
   */
  async read(path: string): Promise<FileMetadata> {
    const tx = (await this.#db).transaction('metadata', 'readonly');
    const m = await request<FileMetadata | undefined>(tx.objectStore('metadata').get(path));
    if (!m) throw new Error(`no metadata for ${path}`);
    return m.pendingVersion === undefined ? m : this.removeFailedTransaction(path);
  }

  /**
   * Writes `commit` in one read-write transaction, all requests issued at once, and resolves when
   * it completed (`durability` 'strict': on disk). Rejects, with nothing written, if it aborts.
   */
  async commit(c: FileCommit, durability: IDBTransactionDurability): Promise<void> {
    const tx = (await this.#db).transaction(['metadata', 'blocks'], 'readwrite', { durability });
    const done = completion(tx);
    const blocks = tx.objectStore('blocks');
    const { name: path, version } = c.metadata;
    if (c.truncatedTo !== null) blocks.delete(IDBKeyRange.bound([path, -Infinity], [path, -c.truncatedTo, Infinity]));
    for (const block of c.blocks) {
      blocks.put(block);
      if (-block.offset < c.previousSize) {
        // The versions this one replaces (higher numbers are older).
        blocks.delete(IDBKeyRange.bound([path, block.offset, version], [path, block.offset, Infinity], true));
      }
    }
    tx.objectStore('metadata').put(c.metadata);
    await done;
  }

  /**
   * The newest committed block of `path` holding `offset`, in a read-only transaction of its own,
   * so it sees every commit that completed before the call. (The library reuses a read
   * transaction while it is still pending, which can answer from before a commit made through
   * this connection.)
   */
  async readBlock(path: string, offset: number): Promise<Block | undefined> {
    const tx = (await this.#db).transaction('blocks', 'readonly');
    return request<Block | undefined>(tx.objectStore('blocks').get(IDBKeyRange.bound([path, -offset], [path, Infinity])));
  }

  close(): void {
    void this.#db.then((db) => db.close(), () => {});
  }

  private async removeFailedTransaction(path: string): Promise<FileMetadata> {
    const tx = (await this.#db).transaction(['metadata', 'blocks'], 'readwrite', { durability: 'strict' });
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
    await completion(tx);
    return m;
  }
}

function completion(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

function request<T>(r: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result as T);
    r.onerror = () => reject(r.error);
  });
}
