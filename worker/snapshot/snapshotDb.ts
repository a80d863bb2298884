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
/**
 * user → a counter raised by every removal. Several engines of one user can run at once (tabs of
 * two builds each have their own worker on the same database): a put carries the counter its rows
 * were read under and is dropped if another engine's removal has raised it since.
 */
const EPOCHS = 'epochs';
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
    if (!req.result.objectStoreNames.contains(EPOCHS)) req.result.createObjectStore(EPOCHS);
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

/** The user's removal counter (0 before any removal). */
export async function getEpoch(db: IDBDatabase, user: string): Promise<number> {
  return ((await request(db.transaction(EPOCHS, 'readonly').objectStore(EPOCHS).get(user))) as number | undefined) ?? 0;
}

/**
 * Stores `record` if the user's counter is still `epoch` (else returns the counter, storing
 * nothing), and drops the user's oldest records past SNAPSHOT_MAX_CONVERSATIONS, in one
 * transaction. Relaxed durability: losing a put leaves an older page, never a wrong one (only
 * removals must be durable first, see {@link removeUserSnapshots}).
 */
export async function putSnapshot(db: IDBDatabase, record: SnapshotRecord, epoch: number): Promise<number | null> {
  const tx = db.transaction([STORE, EPOCHS], 'readwrite', { durability: 'relaxed' });
  const current = ((await request(tx.objectStore(EPOCHS).get(record.user))) as number | undefined) ?? 0;
  if (current !== epoch) {
    await done(tx);
    return current;
  }
  const store = tx.objectStore(STORE);
  store.put(record, keyOf(record.user, record.conversationId));
  const all = (await request(store.getAll(userRange(record.user)))) as SnapshotRecord[];
  const stale = all.sort((a, b) => b.savedAt - a.savedAt).slice(SNAPSHOT_MAX_CONVERSATIONS);
  for (const r of stale) store.delete(keyOf(r.user, r.conversationId));
  await done(tx);
  return null;
}

/**
 * Removes every record of `user` and raises the user's counter, durably (strict): resolves with
 * the new counter once it is on disk.
 */
export async function removeUserSnapshots(db: IDBDatabase, user: string): Promise<number> {
  const tx = db.transaction([STORE, EPOCHS], 'readwrite', { durability: 'strict' });
  tx.objectStore(STORE).delete(userRange(user));
  const epochs = tx.objectStore(EPOCHS);
  const next = (((await request(epochs.get(user))) as number | undefined) ?? 0) + 1;
  epochs.put(next, user);
  await done(tx);
  return next;
}

/** Every snapshot of `user` deleted, in a connection of its own (a sign-out, a wipe, an encrypted open). */
export async function forgetUserSnapshots(user: string): Promise<void> {
  const db = await openSnapshotDb();
  try {
    await removeUserSnapshots(db, user);
  } finally {
    db.close();
  }
}
