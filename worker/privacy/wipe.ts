/**
 * Deleting a user's local data on a wiping sign-out: their database, their cold-open snapshots.
 * A journal entry is written first and removed last, so a wipe cut short (the worker killed, the
 * browser closed) is finished before that user's database is opened again.
 */
import { openSnapshotDb, removeUserSnapshots } from '../snapshot/snapshotDb';

export interface WipeJournal {
  mark(user: string): Promise<void>;
  pending(user: string): Promise<boolean>;
  clear(user: string): Promise<void>;
}

const JOURNAL_DB = 'parley-wipes';
const STORE = 'pending';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function openJournal(): Promise<IDBDatabase> {
  const open = indexedDB.open(JOURNAL_DB, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

async function inJournal<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openJournal();
  try {
    const tx = db.transaction(STORE, mode);
    const result = await request(fn(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return result;
  } finally {
    db.close();
  }
}

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

/** Everything of `user`'s this origin keeps in the worker's reach: the database and the snapshots. */
export async function wipeUserData(databaseName: string, user: string): Promise<void> {
  await deleteIndexedDb(databaseName);
  const db = await openSnapshotDb();
  try {
    await removeUserSnapshots(db, user);
  } finally {
    db.close();
  }
}
