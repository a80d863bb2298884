/**
 * One-store IndexedDB databases for the few records the worker keeps outside a user's database
 * (a worker has no localStorage): the wipe journal and the unsent tally. Each call opens, runs one
 * request in one transaction, waits for it to commit, and closes, so no connection is left open to
 * block a later deleteDatabase.
 */

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open(dbName: string, store: string): Promise<IDBDatabase> {
  const req = indexedDB.open(dbName, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(store);
  return request(req);
}

export async function inStore<T>(dbName: string, store: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open(dbName, store);
  try {
    const tx = db.transaction(store, mode);
    const result = await request(fn(tx.objectStore(store)));
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
