/**
 * The cipher pieces on the real SQLite3MultipleCiphers build (the synchronous mc- build, in Node,
 * over the library's in-memory VFS standing in for IndexedDB): what reaches the storage VFS, keys,
 * a wrong key, rotation, and encrypting a database written before encryption was on.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as SQLite from '@journeyapps/wa-sqlite';
import { describe, expect, it } from 'vitest';
import { cipherVfsOver, isNotReadable, keyStatement } from '../../../worker/store/cipher';

const dist = path.resolve(import.meta.dirname, '../../../node_modules/@journeyapps/wa-sqlite/dist');
const RAW = 'a'.repeat(64);
const SECRET = 'meet me at the loading dock 07:40';

interface Files {
  mapNameToFile: Map<string, { data: ArrayBuffer; size: number }>;
}

async function sqlite(cipher: boolean) {
  const { default: factory } = (await import(path.join(dist, cipher ? 'mc-wa-sqlite.mjs' : 'wa-sqlite.mjs'))) as { default: (c: object) => Promise<never> };
  const module = await factory({ wasmBinary: fs.readFileSync(path.join(dist, cipher ? 'mc-wa-sqlite.wasm' : 'wa-sqlite.wasm')) });
  const sqlite3 = SQLite.Factory(module);
  const { MemoryVFS } = (await import('@journeyapps/wa-sqlite/src/examples/MemoryVFS.js')) as unknown as { MemoryVFS: { create(n: string, m: unknown): Promise<SQLiteVFS & Files> } };
  const vfs = await MemoryVFS.create('mem', module);
  sqlite3.vfs_register(vfs, false);
  const vfsName = cipher ? cipherVfsOver(module as never, 'mem') : 'mem';
  const run = async (db: number, sql: string) => {
    const rows: unknown[][] = [];
    await sqlite3.exec(db, sql, (row) => void rows.push(row));
    return rows;
  };
  const open = (file: string) => sqlite3.open_v2(file, SQLite.SQLITE_OPEN_CREATE | SQLite.SQLITE_OPEN_READWRITE, vfsName);
  const bytes = (file: string) => Buffer.from(vfs.mapNameToFile.get(`/${file}`)!.data).subarray(0, vfs.mapNameToFile.get(`/${file}`)!.size);
  return { sqlite3, open, run, bytes, close: (db: number) => sqlite3.close(db) };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('encryption at rest (SQLite3MultipleCiphers)', () => {
  it('stores no page the text can be read from, and reads it back with the key', async () => {
    for (const key of [RAW, 'a passphrase with a quote: it\'s fine']) {
      const s = await sqlite(true);
      const db = await s.open('a.db');
      await s.run(db, keyStatement('key', key));
      await s.run(db, `PRAGMA page_size=65536; CREATE TABLE t(x); CREATE VIRTUAL TABLE f USING fts5(x, tokenize='trigram'); INSERT INTO t VALUES ('${SECRET}'); INSERT INTO f VALUES ('${SECRET}')`);
      await s.close(db);
      const raw = s.bytes('a.db');
      expect(raw.length).toBeGreaterThan(65536);
      expect(raw.includes(Buffer.from('loading dock'))).toBe(false);
      expect(raw.subarray(0, 15).toString()).not.toBe('SQLite format 3');
      const again = await s.open('a.db');
      await s.run(again, keyStatement('key', key));
      expect(await s.run(again, "SELECT x FROM f WHERE f MATCH 'loading'")).toEqual([[SECRET]]);
      await s.close(again);
    }
  });

  it('the same data without the cipher is readable in the raw pages (the check above can fail)', async () => {
    const s = await sqlite(false);
    const db = await s.open('p.db');
    await s.run(db, `CREATE TABLE t(x); INSERT INTO t VALUES ('${SECRET}')`);
    await s.close(db);
    expect(s.bytes('p.db').includes(Buffer.from('loading dock'))).toBe(true);
  });

  it('a wrong key, or none, reads nothing and changes nothing: NOTADB', async () => {
    const s = await sqlite(true);
    const db = await s.open('a.db');
    await s.run(db, keyStatement('key', RAW));
    await s.run(db, `CREATE TABLE t(x); INSERT INTO t VALUES ('${SECRET}')`);
    await s.close(db);
    const before = Buffer.from(s.bytes('a.db'));
    for (const attempt of [keyStatement('key', 'b'.repeat(64)), keyStatement('key', RAW.toUpperCase().replace('A', 'B')), '']) {
      const other = await s.open('a.db');
      if (attempt) await s.run(other, attempt);
      expect((await failure(s.run(other, 'SELECT count(*) FROM sqlite_schema')) as { code: number }).code).toBe(SQLite.SQLITE_NOTADB);
      await s.close(other);
    }
    expect(Buffer.compare(before, s.bytes('a.db'))).toBe(0);
  });

  it('tells a file not readable with the key (the driver names SQLite codes) from other failures', () => {
    expect(isNotReadable({ name: 'SqliteError', code: 'SQLITE_NOTADB', errno: 26 })).toBe(true);
    expect(isNotReadable({ name: 'SqliteError', code: 'SQLITE_IOERR', errno: 10 })).toBe(false);
    expect(isNotReadable(null)).toBe(false);
  });

  it('rekey re-encrypts every page: the new key reads everything, the old one nothing', async () => {
    const s = await sqlite(true);
    const db = await s.open('a.db');
    await s.run(db, keyStatement('key', RAW));
    await s.run(db, `PRAGMA page_size=65536; CREATE TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT '${SECRET}' || i FROM n`);
    await s.run(db, keyStatement('rekey', 'c'.repeat(64)));
    await s.close(db);
    const withNew = await s.open('a.db');
    await s.run(withNew, keyStatement('key', 'c'.repeat(64)));
    expect(await s.run(withNew, 'SELECT count(*) FROM t')).toEqual([[2000]]);
    await s.close(withNew);
    const withOld = await s.open('a.db');
    await s.run(withOld, keyStatement('key', RAW));
    expect((await failure(s.run(withOld, 'SELECT count(*) FROM t')) as { code: number }).code).toBe(SQLite.SQLITE_NOTADB);
    await s.close(withOld);
  });

  it('a database written without a key is encrypted in place by a rekey', async () => {
    const s = await sqlite(true);
    const db = await s.open('a.db');
    await s.run(db, `CREATE TABLE t(x); INSERT INTO t VALUES ('${SECRET}')`);
    expect(s.bytes('a.db').includes(Buffer.from('loading dock'))).toBe(true);
    await s.run(db, keyStatement('rekey', RAW));
    await s.close(db);
    expect(s.bytes('a.db').includes(Buffer.from('loading dock'))).toBe(false);
    const keyed = await s.open('a.db');
    await s.run(keyed, keyStatement('key', RAW));
    expect(await s.run(keyed, 'SELECT x FROM t')).toEqual([[SECRET]]);
    await s.close(keyed);
  });
});
