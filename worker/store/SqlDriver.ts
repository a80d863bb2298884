/**
 * The SQL the local store needs, whatever runs it: wa-sqlite in the worker (browser), or
 * better-sqlite3 in Node tests, so the store's SQL is tested against real SQLite semantics.
 *
 * Implementations serialize every call (wa-sqlite's Asyncify build is not re-entrant): a call
 * made while another is running waits its turn. Inside `transaction`, use the `tx` handle only;
 * calling the driver itself from inside would wait for the transaction to end, forever.
 */
import type { StorageDurability } from '../protocol';

export type SqlValue = string | number | null | Uint8Array;

export interface SqlRunResult {
  changes: number;
  lastInsertRowid: number;
}

export interface SqlExecutor {
  /** Statements with no parameters and no result (DDL, PRAGMA). */
  exec(sql: string): Promise<void>;
  /** Every row, as objects keyed by column name. */
  all<T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** A statement's effect. */
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
}

export interface SqlDriver extends SqlExecutor {
  /**
   * BEGIN IMMEDIATE … COMMIT around `fn`; ROLLBACK if it throws (and the error is rethrown).
   * A failed COMMIT (e.g. storage quota) rejects with the driver's error and leaves the database
   * as it was before BEGIN.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** What kind of storage backs this database: durable, or lost when the worker ends. */
  readonly durability: StorageDurability;
  close(): Promise<void>;
}

export type { StorageDurability } from '../protocol';
