/**
 * The pages one write transaction writes to the main database file, held in memory until SQLite
 * syncs the file, then committed as one IndexedDB transaction (IdbFileStore.commit). The file's
 * metadata moves as the library's does: the first write takes the next version (one lower), size
 * grows with the writes; a failed commit puts the old metadata back.
 */
import type { Block, FileCommit, FileMetadata } from './idbFileStore';

/** What the VFS's File object has that this needs. */
export interface PagedFile {
  path: string;
  metadata: FileMetadata;
}

export class PendingPages {
  /** Offset → the page's bytes (copied: SQLite reuses its buffer). */
  readonly #pages = new Map<number, Uint8Array>();
  #before: FileMetadata | null = null;
  #truncatedTo: number | null = null;
  /** Every write to the main file is one whole page. */
  #pageSize = 4096;

  get active(): boolean {
    return this.#before !== null;
  }

  write(file: PagedFile, data: Uint8Array, offset: number): void {
    this.#begin(file);
    this.#pageSize = data.byteLength;
    this.#pages.set(offset, data.slice());
    file.metadata.fileSize = Math.max(file.metadata.fileSize, offset + data.byteLength);
  }

  truncate(file: PagedFile, size: number): void {
    if (size >= file.metadata.fileSize) return;
    this.#begin(file);
    for (const offset of this.#pages.keys()) if (offset >= size) this.#pages.delete(offset);
    this.#truncatedTo = Math.min(this.#truncatedTo ?? Infinity, size);
    file.metadata.fileSize = size;
  }

  /**
   * Fills `out` (the file at `offset`) from a written page that holds all of it, and says whether
   * it did. SQLite reads and writes the main file a whole page at a time, or within page 1.
   */
  read(out: Uint8Array, offset: number): boolean {
    if (this.#pages.size === 0) return false;
    const start = offset - (offset % this.#pageSize);
    const page = this.#pages.get(start);
    if (!page || offset + out.byteLength > start + page.byteLength) return false;
    out.set(page.subarray(offset - start, offset - start + out.byteLength));
    return true;
  }

  /** What to commit, and forgets it; `restore` undoes the metadata if the commit fails. */
  take(file: PagedFile): { commit: FileCommit; restore: () => void } {
    const before = this.#before!;
    const { version } = file.metadata;
    const blocks: Block[] = [...this.#pages].map(([offset, data]) => ({ path: file.path, offset: -offset, version, data }));
    const commit: FileCommit = { metadata: { ...file.metadata }, previousSize: before.fileSize, blocks, truncatedTo: this.#truncatedTo };
    this.#clear();
    return { commit, restore: () => void (file.metadata = before) };
  }

  /** SQLite rolled the write back before any commit: the metadata is as before it. */
  abandon(file: PagedFile): void {
    if (this.#before) file.metadata = this.#before;
    this.#clear();
  }

  #begin(file: PagedFile): void {
    if (this.#before) return;
    this.#before = { ...file.metadata };
    file.metadata.version--;
  }

  #clear(): void {
    this.#pages.clear();
    this.#before = null;
    this.#truncatedTo = null;
  }
}
