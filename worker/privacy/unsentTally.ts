/**
 * How many messages wait to be sent, kept outside an encrypted database: when its key is lost, the
 * database cannot be read, and the app must still be told what a rebuild would drop before it asks
 * for one. Only a number per user is kept, never text.
 *
 * The tally may be higher than the truth for a moment, never 0 while something is unsent: before a
 * message is stored while the tally says 0, the tally is raised first; after each change it is
 * recounted, messages still being stored counted in (a count taken before their commit misses them).
 */
import type { OutboxWatch } from '../store/LocalStore';
import { SerialQueue } from '../store/SerialQueue';
import { inStore } from './smallIdb';

export interface TallyStorage {
  get(user: string): Promise<number | null>;
  put(user: string, count: number): Promise<void>;
  forget(user: string): Promise<void>;
}

const TALLY_DB = 'parley-unsent';
const STORE = 'count';

export const indexedDbUnsentTally: TallyStorage = {
  get: async (user) => {
    const v = await inStore<unknown>(TALLY_DB, STORE, 'readonly', (s) => s.get(user));
    return typeof v === 'number' ? v : null;
  },
  put: async (user, count) => void (await inStore(TALLY_DB, STORE, 'readwrite', (s) => s.put(count, user))),
  forget: async (user) => void (await inStore(TALLY_DB, STORE, 'readwrite', (s) => s.delete(user))),
};

const warn = (e: unknown) => console.warn(`parley: the unsent tally was not written (${String(e)})`);

export class UnsentTally implements OutboxWatch {
  readonly #writes = new SerialQueue();
  /** Enqueues started and not settled: maybe committed, maybe not yet. */
  #storing = 0;
  /** The value last written; null before the first. */
  #written: number | null = null;
  #recountQueued = false;

  constructor(
    private readonly user: string,
    private readonly count: () => Promise<number>,
    private readonly storage: TallyStorage,
  ) {}

  /** Never rejects: a tally that cannot be written must not stop a send (it is said in the console). */
  async beforeEnqueue(): Promise<void> {
    this.#storing++;
    if (this.#written === null || this.#written === 0) await this.#write().catch(warn);
  }

  enqueueSettled(): void {
    this.#storing--;
    this.changed();
  }

  /** After a change to the outbox: recount (one at a time; calls meanwhile share the next). */
  changed(): void {
    if (this.#recountQueued) return;
    this.#recountQueued = true;
    void this.#writes
      .run(async () => {
        this.#recountQueued = false;
        await this.#writeNow();
      })
      .catch(warn);
  }

  /** Resolves once every write asked for so far is done (tests, and before a close). */
  settled(): Promise<void> {
    return this.#writes.idle();
  }

  #write(): Promise<void> {
    return this.#writes.run(() => this.#writeNow());
  }

  async #writeNow(): Promise<void> {
    const n = (await this.count()) + this.#storing;
    if (n === this.#written) return;
    await this.storage.put(this.user, n);
    this.#written = n;
  }
}
