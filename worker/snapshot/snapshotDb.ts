/**
 * The cold-open snapshot's storage: a small IndexedDB database, apart from the SQLite one, that a
 * tab can read with one get and no WebAssembly. The worker writes it (SnapshotWriter); tabs read it
 * (client/snapshot/readSnapshot.ts). This file is shared by both, so it stays small and has no
 * imports beyond types.
 *
 * A record is the latest page of one conversation of one user, only rows the SQLite database
 * held when they were read: see SnapshotWriter for why it cannot show a message the database no
 * longer holds.
 */
import type { LocalMessage } from '../store/types';

export const SNAPSHOT_DB = 'parley-snapshot';
const DB_VERSION = 1;
const STORE = 'latest';
/** Record layout; a reader ignores records of another format (written by another build). */
export const SNAPSHOT_FORMAT = 1;
/** Most rows kept per conversation: the first page a chat view paints. */
export const SNAPSHOT_MAX_ROWS = 50;
/** Most conversations kept per user (the most recently saved). */
export const SNAPSHOT_MAX_CONVERSATIONS = 16;

export interface SnapshotRecord {
  v: typeof SNAPSHOT_FORMAT;
  user: string;
  conversationId: string;
  /** Date.now() when the rows were read from the database. */
  savedAt: number;
  /** Ascending, at most SNAPSHOT_MAX_ROWS. */
  messages: LocalMessage[];
}

type Key = [string, string];
const keyOf = (user: string, conversationId: string): Key => [user, conversationId];
/** Every key of `user`: arrays sort after strings, so [user, []] is above any [user, id]. */
const userRange = (user: string): IDBKeyRange => IDBKeyRange.bound([user], [user, []]);

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('snapshot transaction aborted'));
  });
}

export function openSnapshotDb(factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  const req = factory.open(SNAPSHOT_DB, DB_VERSION);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
  };
  return request(req).then((db) => {
    // Never hold up another build's upgrade (or a deleteDatabase): this database is a cache.
    db.onversionchange = () => db.close();
    return db;
  });
}

/** The record of (user, conversation), or null: absent, unreadable or of another format. */
export async function getSnapshot(db: IDBDatabase, user: string, conversationId: string): Promise<SnapshotRecord | null> {
  const value = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(keyOf(user, conversationId)))) as SnapshotRecord | undefined;
  return value && value.v === SNAPSHOT_FORMAT && value.user === user && Array.isArray(value.messages) ? value : null;
}

/**
 * Stores `record` and drops the user's oldest records past SNAPSHOT_MAX_CONVERSATIONS, in one
 * transaction. Relaxed durability: losing a put leaves an older page, never a wrong one (only
 * removals must be durable first, see {@link deleteUserSnapshots}).
 */
export async function putSnapshot(db: IDBDatabase, record: SnapshotRecord): Promise<void> {
  const tx = db.transaction(STORE, 'readwrite', { durability: 'relaxed' });
  const store = tx.objectStore(STORE);
  store.put(record, keyOf(record.user, record.conversationId));
  const all = (await request(store.getAll(userRange(record.user)))) as SnapshotRecord[];
  const stale = all.sort((a, b) => b.savedAt - a.savedAt).slice(SNAPSHOT_MAX_CONVERSATIONS);
  for (const r of stale) store.delete(keyOf(r.user, r.conversationId));
  await done(tx);
}

/** Removes every record of `user`, durably (strict): resolves only once it is on disk. */
export async function deleteUserSnapshots(db: IDBDatabase, user: string): Promise<void> {
  const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
  tx.objectStore(STORE).delete(userRange(user));
  await done(tx);
}
