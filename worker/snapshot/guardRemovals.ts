/**
 * A SqlDriver layer that lets the snapshot writer act before any statement that can remove or
 * rewrite stored messages (a pending message deleted, a rollback's removals, a schema change), so
 * the cold-open snapshot is gone before the message is. Matching the SQL here, rather than hooking
 * each store function, keeps a future removal from being missed.
 */
import type { SqlDriver, SqlExecutor, SqlRunResult, SqlValue } from '../store/SqlDriver';

/** DELETE FROM messages, DROP/ALTER TABLE messages: what can make a stored message disappear. */
const REMOVES_MESSAGES = /\b(?:DELETE\s+FROM|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE)\s+["`[]?messages\b/i;

export function removesMessages(sql: string): boolean {
  return REMOVES_MESSAGES.test(sql);
}

export interface RemovalHooks {
  /** Resolves once the snapshot is durably gone; the statement runs only then. */
  beforeRemoval(): Promise<void>;
  /** The statement (or its transaction) has ended, committed or not. Does not reject. */
  afterRemoval(): Promise<void>;
}

export function guardRemovals(driver: SqlDriver, hooks: RemovalHooks): SqlDriver {
  /** Runs a statement outside a transaction: its own commit ends the removal. */
  const alone = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    if (!removesMessages(sql)) return run();
    try {
      await hooks.beforeRemoval();
      return await run();
    } finally {
      await hooks.afterRemoval();
    }
  };
  return {
    get durability() {
      return driver.durability;
    },
    exec: (sql) => alone(sql, () => driver.exec(sql)),
    all: <T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]) => alone(sql, () => driver.all<T>(sql, params)),
    run: (sql, params) => alone(sql, () => driver.run(sql, params)),
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      // Inside a transaction the removal lasts until the transaction ends (commit or rollback).
      let removals = 0;
      const before = async (sql: string) => {
        if (!removesMessages(sql)) return;
        removals++;
        await hooks.beforeRemoval();
      };
      try {
        return await driver.transaction((tx) =>
          fn({
            exec: async (sql) => (await before(sql), tx.exec(sql)),
            all: async <R = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]) => (await before(sql), tx.all<R>(sql, params)),
            run: async (sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> => (await before(sql), tx.run(sql, params)),
          }),
        );
      } finally {
        for (; removals > 0; removals--) await hooks.afterRemoval();
      }
    },
    close: () => driver.close(),
  };
}
