/**
 * Where a local-store write's time goes, measured inside the worker: a SqlDriver wrapper that
 * times every statement at the driver's interface (so a call's cost includes wa-sqlite's async
 * wrappers and the wasm), the JS between calls, and BEGIN/COMMIT; and counters of the IndexedDB
 * requests the VFS makes.
 */
import type { SqlDriver, SqlExecutor, SqlValue } from '../../worker/store/SqlDriver';

/** Figures by label; labels ending in ' ms' are durations, the rest counts. */
export type Breakdown = Record<string, number>;

export interface TimingDriver {
  driver: SqlDriver;
  /** Forget what was counted so far (the open, the warm-up). */
  reset(): void;
  report(): Breakdown;
}

export function timingDriver(inner: SqlDriver): TimingDriver {
  const perSql = new Map<string, { calls: number; ms: number }>();
  let transactions = 0;
  let transactionMs = 0;
  let insideMs = 0;
  const driver: SqlDriver = {
    exec: (sql) => inner.exec(sql),
    all: (sql, params) => inner.all(sql, params),
    run: (sql, params) => inner.run(sql, params),
    get durability() {
      return inner.durability;
    },
    close: () => inner.close(),
    async transaction(fn) {
      const t0 = performance.now();
      try {
        return await inner.transaction(async (tx) => {
          const s = performance.now();
          try {
            return await fn(timed(tx, perSql));
          } finally {
            insideMs += performance.now() - s;
          }
        });
      } finally {
        transactions++;
        transactionMs += performance.now() - t0;
      }
    },
  };
  return {
    driver,
    reset() {
      perSql.clear();
      transactions = transactionMs = insideMs = 0;
    },
    report() {
      const out: Breakdown = { transactions, 'transactions, in all ms': transactionMs, 'BEGIN + COMMIT ms': transactionMs - insideMs };
      let sqlMs = 0;
      for (const [sql, { calls, ms }] of [...perSql].sort((a, b) => b[1].ms - a[1].ms)) {
        out[`${sql} [${calls} calls] ms`] = ms;
        sqlMs += ms;
      }
      out['JS between the calls ms'] = insideMs - sqlMs;
      return out;
    },
  };
}

/** `tx` with each call's time added to `acc` under its SQL (whitespace folded, cut at 60 chars). */
function timed(tx: SqlExecutor, acc: Map<string, { calls: number; ms: number }>): SqlExecutor {
  const time = async <T>(sql: string, call: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await call();
    } finally {
      const key = sql.replace(/\s+/g, ' ').trim().slice(0, 60);
      const e = acc.get(key) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += performance.now() - s;
      acc.set(key, e);
    }
  };
  return {
    exec: (sql) => time(sql, () => tx.exec(sql)),
    all: <T>(sql: string, params?: readonly SqlValue[]) => time(sql, () => tx.all<T>(sql, params)),
    run: (sql, params) => time(sql, () => tx.run(sql, params)),
  };
}

/** Counts the IndexedDB requests of this worker until stop(): the VFS's page writes, reads and deletes. */
export function countIdb(): { stop(): Breakdown } {
  const store = IDBObjectStore.prototype;
  const saved = { put: store.put, get: store.get, delete: store.delete, transaction: IDBDatabase.prototype.transaction };
  const n = { puts: 0, putBytes: 0, gets: 0, deletes: 0, transactions: 0, readwrite: 0, readwriteMs: 0 };
  store.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    n.puts++;
    n.putBytes += (value as { data?: Uint8Array } | null)?.data?.byteLength ?? 0;
    return saved.put.call(this, value, key);
  };
  store.get = function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
    n.gets++;
    return saved.get.call(this, query);
  };
  store.delete = function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
    n.deletes++;
    return saved.delete.call(this, query);
  };
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    n.transactions++;
    const tx = saved.transaction.apply(this, args);
    if (args[1] === 'readwrite') {
      n.readwrite++;
      // From the transaction's creation to its completion: how long IndexedDB takes to write.
      const t0 = performance.now();
      tx.addEventListener('complete', () => (n.readwriteMs += performance.now() - t0));
    }
    return tx;
  };
  return {
    stop() {
      Object.assign(store, { put: saved.put, get: saved.get, delete: saved.delete });
      IDBDatabase.prototype.transaction = saved.transaction;
      return {
        'IndexedDB transactions': n.transactions,
        'IndexedDB readwrite transactions': n.readwrite,
        'IndexedDB readwrite transactions, creation to complete ms': n.readwriteMs,
        'IndexedDB page puts': n.puts,
        'IndexedDB kB put': n.putBytes / 1024,
        'IndexedDB gets': n.gets,
        'IndexedDB deletes': n.deletes,
      };
    },
  };
}
