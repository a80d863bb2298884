/**
 * Pages a catch-up holds fetched but not stored, at most: the engine's bound, and the benchmark's.
 * Ten pages of 200 (~1 MB of messages) per transaction: a catch-up of 10,000 measured 3.1k msg/s
 * with each page alone, 7.3k with five, 9.6k with ten (bench `ingest`, quiet VM). A local send
 * waits for the transaction in progress, ~0.2 s at most here, so not more.
 */
export const MAX_PAGES_AHEAD = 10;

/**
 * Stores a catch-up's pages while the next ones are fetched, each store taking every page that
 * arrived meanwhile in one write. A local commit costs mostly per transaction (each page of the
 * database it touches is rewritten whole), so a catch-up stored in fewer, bigger transactions
 * writes less per message; when the network is slower than the disk, each page is stored alone as
 * soon as it comes.
 *
 * Bounded: at most `maxAhead` pages wait unstored; {@link add} holds the fetcher back until the
 * store takes them. A failed store ends the catch-up: {@link add} and {@link drained} reject with
 * its error, and what was waiting is dropped (the server still holds it; the next gap fill asks
 * again from the last stored message).
 */
export class CatchUpWriter<T> {
  readonly #store: (items: T[]) => Promise<void>;
  readonly #maxAhead: number;
  readonly #waiting: T[][] = [];
  #storing: Promise<void> | null = null;
  #failed: { error: unknown } | null = null;

  constructor(store: (items: T[]) => Promise<void>, maxAhead: number) {
    if (maxAhead < 1) throw new RangeError('maxAhead must be at least 1');
    this.#store = store;
    this.#maxAhead = maxAhead;
  }

  /** Queues one fetched page; resolves once fewer than `maxAhead` pages wait. */
  async add(page: readonly T[]): Promise<void> {
    this.#throwIfFailed();
    if (page.length > 0) this.#waiting.push([...page]);
    this.#startStore();
    while (this.#waiting.length >= this.#maxAhead && this.#storing) {
      await this.#storing;
      this.#throwIfFailed();
    }
  }

  /** Resolves when every page added is stored; rejects if a store failed. */
  async drained(): Promise<void> {
    while (this.#storing) await this.#storing;
    this.#throwIfFailed();
  }

  #startStore(): void {
    if (this.#storing || this.#failed || this.#waiting.length === 0) return;
    const batch = this.#waiting.splice(0).flat();
    this.#storing = this.#store(batch).then(
      () => {
        this.#storing = null;
        this.#startStore();
      },
      (error: unknown) => {
        this.#storing = null;
        this.#failed = { error };
        this.#waiting.length = 0;
      },
    );
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#failed.error;
  }
}
