import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../../schema';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import type { SqlExecutor } from '../../../worker/store/SqlDriver';
import { deferred, flush, tempFile, watch } from './harness';

async function withTable(driver: BetterSqliteDriver): Promise<BetterSqliteDriver> {
  await driver.exec('CREATE TABLE t (x INTEGER)');
  return driver;
}

const xs = async (db: SqlExecutor) => (await db.all<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x);

describe('BetterSqliteDriver', () => {
  it('reports memory for :memory: and persistent for a file', async () => {
    const mem = new BetterSqliteDriver(':memory:');
    const file = new BetterSqliteDriver(tempFile());
    expect(mem.durability).toBe('memory');
    expect(file.durability).toBe('persistent');
    await mem.close();
    await file.close();
  });

  it('makes a call issued during a transaction wait for its end, and the call sees the commit', async () => {
    const driver = await withTable(new BetterSqliteDriver(':memory:'));
    const gate = deferred();
    const tx = driver.transaction(async (t) => {
      await t.run('INSERT INTO t VALUES (1)');
      await gate.promise;
      await t.run('INSERT INTO t VALUES (2)');
    });
    await flush();
    const read = watch(xs(driver));
    await flush();
    expect(read.state).toBe('pending');
    gate.resolve();
    await tx;
    await flush();
    expect(read).toMatchObject({ state: 'fulfilled', value: [1, 2] });
    await driver.close();
  });

  it('rolls back and rethrows when the function throws', async () => {
    const driver = await withTable(new BetterSqliteDriver(':memory:'));
    const boom = new Error('boom');
    await expect(
      driver.transaction(async (t) => {
        await t.run('INSERT INTO t VALUES (1)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await xs(driver)).toEqual([]);
    await driver.close();
  });

  it('fails COMMIT like a full disk on request and leaves the database as before BEGIN', async () => {
    let full = false;
    const driver = await withTable(new BetterSqliteDriver(':memory:', { failWrites: (sql) => full && sql === 'COMMIT' }));
    await driver.run('INSERT INTO t VALUES (1)');
    full = true;
    const err = await driver
      .transaction(async (t) => {
        await t.run('INSERT INTO t VALUES (2)');
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'QuotaExceededError', code: 'SQLITE_FULL' });
    full = false;
    expect(await xs(driver)).toEqual([1]);
    // Not stuck in a transaction: the next one works.
    await driver.transaction((t) => t.run('INSERT INTO t VALUES (3)'));
    expect(await xs(driver)).toEqual([1, 3]);
    await driver.close();
  });

  it('fails a single write on request, not reads', async () => {
    let full = false;
    const driver = await withTable(new BetterSqliteDriver(':memory:', { failWrites: () => full }));
    full = true;
    await expect(driver.run('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ name: 'QuotaExceededError' });
    expect(await xs(driver)).toEqual([]);
    await driver.close();
  });

  it('names a real SQLITE_FULL QuotaExceededError, as the browser driver does', async () => {
    const driver = await withTable(new BetterSqliteDriver(':memory:'));
    const [{ page_count }] = (await driver.all<{ page_count: number }>('PRAGMA page_count')) as [{ page_count: number }];
    await driver.exec(`PRAGMA max_page_count = ${page_count + 2}`);
    await driver.exec('CREATE TABLE big (b BLOB)');
    const err = await driver.run('INSERT INTO big VALUES (?)', [new Uint8Array(64 * 1024)]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'QuotaExceededError', code: 'SQLITE_FULL' });
    await driver.close();
  });

  it('refuses a tx handle used after its transaction ended', async () => {
    const driver = await withTable(new BetterSqliteDriver(':memory:'));
    let leaked: SqlExecutor | null = null;
    await driver.transaction(async (t) => {
      leaked = t;
    });
    await expect(leaked!.run('INSERT INTO t VALUES (1)')).rejects.toThrow(/ended/);
    expect(await xs(driver)).toEqual([]);
    await driver.close();
  });

  it('rejects calls after close with CLOSED', async () => {
    const driver = await withTable(new BetterSqliteDriver(':memory:'));
    await driver.close();
    const err = await driver.all('SELECT 1').catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.CLOSED)).toBe(true);
  });

  it('round-trips blobs and numbers', async () => {
    const driver = new BetterSqliteDriver(':memory:');
    await driver.exec('CREATE TABLE b (v BLOB, n INTEGER)');
    const r = await driver.run('INSERT INTO b VALUES (?, ?)', [new Uint8Array([1, 2, 3]), 42]);
    expect(r).toEqual({ changes: 1, lastInsertRowid: 1 });
    const [row] = await driver.all<{ v: Uint8Array; n: number }>('SELECT v, n FROM b');
    expect([...row!.v]).toEqual([1, 2, 3]);
    expect(row!.n).toBe(42);
    await driver.close();
  });
});
