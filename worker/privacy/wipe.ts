/**
 * Deleting a user's local data on a wiping sign-out: their database, their cold-open snapshots.
 * A journal entry is written first and removed last, so a wipe cut short (the worker killed, the
 * browser closed) is finished before that user's database is opened again.
 */
import { forgetUserSnapshots } from '../snapshot/snapshotDb';
import { inStore } from './smallIdb';
import { indexedDbUnsentTally } from './unsentTally';

export interface WipeJournal {
  mark(user: string): Promise<void>;
  pending(user: string): Promise<boolean>;
  clear(user: string): Promise<void>;
}

const JOURNAL_DB = 'parley-wipes';
const STORE = 'pending';
const inJournal = <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>) => inStore(JOURNAL_DB, STORE, mode, fn);

/** The journal in IndexedDB (a worker has no localStorage), beside the databases it is about. */
export const indexedDbWipeJournal: WipeJournal = {
  mark: async (user) => void (await inJournal('readwrite', (s) => s.put(Date.now(), user))),
  pending: async (user) => (await inJournal('readonly', (s) => s.count(user))) > 0,
  clear: async (user) => void (await inJournal('readwrite', (s) => s.delete(user))),
};

/** Delete an IndexedDB database; resolves once it is gone (after any open connection closed). */
export function deleteIndexedDb(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error);
  });
}

/** Everything of `user`'s this origin keeps in the worker's reach: the database, the snapshots, the unsent tally. */
export async function wipeUserData(databaseName: string, user: string): Promise<void> {
  await deleteIndexedDb(databaseName);
  await indexedDbUnsentTally.forget(user);
  await forgetUserSnapshots(user);
}
