/**
 * Encryption at rest for a wa-sqlite database, with the SQLite3MultipleCiphers builds of
 * @journeyapps/wa-sqlite (the `mc-` files): a cipher VFS wraps the storage VFS, and every page
 * (and journal) is encrypted before the storage sees it, with its default cipher, ChaCha20-Poly1305:
 * a page changed on disk fails its check instead of being read as data. The key is set by the
 * first statement on each connection (PRAGMA key) and changed with PRAGMA rekey, which rewrites
 * every page in one transaction.
 */
import { ErrorCode, ParleyError } from '../../schema';
import type { SqliteModule } from './waSqliteConnection';

/** 32 random bytes as 64 hex digits: used as the key itself. Anything else is a passphrase. */
const RAW_KEY = /^[0-9a-f]{64}$/i;

/**
 * Registers the cipher VFS over the registered VFS `vfsName` in `module` (an mc- build) and
 * returns its name, which the database is then opened with.
 */
export function cipherVfsOver(module: SqliteModule, vfsName: string): string {
  const rc = module.ccall('sqlite3mc_vfs_create', 'number', ['string', 'number'], [vfsName, 0]);
  if (rc !== 0) throw new Error(`the cipher VFS over "${vfsName}" could not be created (SQLite code ${String(rc)}): is this an mc- build?`);
  return `multipleciphers-${vfsName}`;
}

/**
 * The PRAGMA that sets (`key`) or changes (`rekey`) a connection's key. A raw 256-bit key skips the
 * key derivation (PBKDF2, ~60 ms at every open of every connection): a key made by a server's random
 * generator gains nothing from it. A passphrase goes through it.
 */
export function keyStatement(verb: 'key' | 'rekey', key: string): string {
  const secret = RAW_KEY.test(key) ? `raw:${key}` : key;
  return `PRAGMA ${verb} = '${secret.replaceAll("'", "''")}';`;
}

/** Refuses keys that cannot be meant: empty (PRAGMA key '' means "not encrypted"). */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new ParleyError(ErrorCode.INVALID_PARAMS, 'the encryption key must be a non-empty string');
}

/** What a keyed read fails with when the file is not readable with that key: SQLite's NOTADB. */
export function isNotReadable(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'SQLITE_NOTADB';
}

export function keyRejected(): ParleyError {
  return new ParleyError(ErrorCode.KEY_REJECTED, 'the local database does not open with this key (a wrong key, or it was encrypted with another)');
}
