/**
 * SQLite failures as plain Errors, told apart by `name` and `code`, never by class (classes do not
 * survive a MessagePort) or message text.
 *
 * - name 'SqliteError', code like better-sqlite3's ('SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSY'), so
 *   store code matches errors the same way in Node tests and in the browser;
 * - name 'QuotaExceededError' (the DOMException's name) and code 'SQLITE_FULL' when the storage is
 *   full: SQLITE_FULL, or an I/O error caused by IndexedDB refusing a commit for quota (`errno` keeps
 *   the I/O error's own code). The Node driver (betterSqliteDriver) names SQLITE_FULL the same way.
 */
import * as SQLite from '@journeyapps/wa-sqlite';

export const SQLITE_ERROR_NAME = 'SqliteError';
export const QUOTA_EXCEEDED_NAME = 'QuotaExceededError';

/** The fields a SQLite failure carries. */
export interface SqliteErrorFields {
  name: typeof SQLITE_ERROR_NAME | typeof QUOTA_EXCEEDED_NAME;
  /** Result code name, e.g. 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_IOERR_FSYNC'; 'SQLITE_FULL' for any quota error. */
  code: string;
  /** The numeric (extended) result code. */
  errno: number;
}

const PRIMARY = new Set([
  'ERROR', 'INTERNAL', 'PERM', 'ABORT', 'BUSY', 'LOCKED', 'NOMEM', 'READONLY', 'INTERRUPT', 'IOERR',
  'CORRUPT', 'NOTFOUND', 'FULL', 'CANTOPEN', 'PROTOCOL', 'EMPTY', 'SCHEMA', 'TOOBIG', 'CONSTRAINT',
  'MISMATCH', 'MISUSE', 'NOLFS', 'AUTH', 'FORMAT', 'RANGE', 'NOTADB', 'NOTICE', 'WARNING',
]);

/** Result code → name, from the library's constants (which also hold flags: keep result codes only). */
const CODE_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(SQLite as Record<string, unknown>)) {
  const m = /^SQLITE_([A-Z]+)(?:_[A-Z_]+)?$/.exec(name);
  if (!m || typeof value !== 'number' || !PRIMARY.has(m[1]!)) continue;
  if ((value & 0xff) === SQLite[`SQLITE_${m[1]}` as 'SQLITE_ERROR'] && !CODE_NAMES.has(value)) CODE_NAMES.set(value, name);
}

export function sqliteCodeName(errno: number): string {
  return CODE_NAMES.get(errno) ?? CODE_NAMES.get(errno & 0xff) ?? `SQLITE_UNKNOWN_${errno}`;
}

/**
 * The Error for a failed SQLite call. `quotaSeen`: IndexedDB aborted a write with
 * QuotaExceededError while this call ran, so an I/O error here means "storage full".
 */
export function sqliteError(message: string, errno: number, quotaSeen = false, cause?: unknown): Error & SqliteErrorFields {
  const primary = errno & 0xff;
  const quota = primary === SQLite.SQLITE_FULL || (quotaSeen && primary === SQLite.SQLITE_IOERR);
  const err = new Error(quota ? `storage quota exceeded: ${message}` : message, cause === undefined ? undefined : { cause }) as Error &
    SqliteErrorFields;
  err.name = quota ? QUOTA_EXCEEDED_NAME : SQLITE_ERROR_NAME;
  err.code = quota ? 'SQLITE_FULL' : sqliteCodeName(errno);
  err.errno = errno;
  return err;
}

