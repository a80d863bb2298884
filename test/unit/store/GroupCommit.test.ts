import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../../schema';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { GroupCommit } from '../../../worker/store/GroupCommit';
import type { SqlExecutor } from '../../../worker/store/SqlDriver';
import { deferred, flush, watch } from './harness';

/** A driver on a table t, a GroupCommit on it, a switchable full disk and a count of BEGINs. */
async function setup(maxBatch?: number) {
  const disk = { full: false, failSql: null as RegExp | null };
  let begins = 0;
  const driver = new BetterSqliteDriver(':memory:', {
    failWrites: (sql) => (disk.full && sql === 'COMMIT') || (disk.failSql?.test(sql) ?? false),
    onStatement: (sql) => {
      if (/^BEGIN/.test(sql)) begins++;
    },
  });
  await driver.exec('CREATE TABLE t (x TEXT)');
  const gc = new GroupCommit(driver, maxBatch === undefined ? {} : { maxBatch });
  /** An op inserting `x` that records which transaction (by BEGIN count) it ran in. */
  const ran: Record<string, number> = {};
  const insert = (x: string) => async (tx: SqlExecutor) => {
    ran[x] = begins;
    await tx.run('INSERT INTO t VALUES (?)', [x]);
    return x;
  };
  const rows = async () => (await driver.all<{ x: string }>('SELECT x FROM t ORDER BY rowid')).map((r) => r.x);
  return { driver, gc, disk, insert, ran, rows, begins: () => begins };
}

describe('GroupCommit', () => {
  it('runs a lone write at once, in its own transaction', async () => {
    const { gc, insert, rows, begins } = await setup();
    const write = watch(gc.submit(insert('a')));
    // Promise callbacks only, no timer turn: a lone write is not held back waiting for company.
    await flush();
    expect(write).toMatchObject({ state: 'fulfilled', value: 'a' });
    expect(begins()).toBe(1);
    expect(await rows()).toEqual(['a']);
  });

  it('puts writes submitted together into one transaction', async () => {
    const { gc, insert, rows, begins } = await setup();
    const all = await Promise.all(['a', 'b', 'c', 'd'].map((x) => gc.submit(insert(x))));
    expect(all).toEqual(['a', 'b', 'c', 'd']);
    expect(begins()).toBe(1);
    expect(await rows()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('queues writes while a transaction runs, then runs them all in the next one', async () => {
    const { gc, insert, ran, rows, begins } = await setup();
    const gate = deferred();
    const first = gc.submit(async (tx) => {
      await gate.promise;
      return insert('a')(tx);
    });
    await flush();
    expect(begins()).toBe(1);
    const later = ['b', 'c', 'd'].map((x) => watch(gc.submit(insert(x))));
    await flush();
    expect(later.every((w) => w.state === 'pending')).toBe(true);
    expect(Object.keys(ran)).toEqual([]); // b, c, d wait: they did not join the open transaction
    gate.resolve();
    await first;
    await flush();
    await gc.close();
    expect(later.map((w) => w.state)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(begins()).toBe(2);
    expect(ran).toEqual({ a: 1, b: 2, c: 2, d: 2 });
    expect(await rows()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('resolves a write only after its transaction committed', async () => {
    const { gc, driver, insert } = await setup();
    let committedWhenResolved: string[] | null = null;
    // The read is queued on the driver behind the transaction, so it sees the state after COMMIT.
    await gc.submit(insert('a')).then(async () => {
      committedWhenResolved = (await driver.all<{ x: string }>('SELECT x FROM t')).map((r) => r.x);
    });
    expect(committedWhenResolved).toEqual(['a']);
  });

  it('undoes only the failing write: its batch-mates commit', async () => {
    const { gc, insert, rows, begins } = await setup();
    const boom = new Error('boom');
    const results = await Promise.allSettled([
      gc.submit(insert('a')),
      gc.submit(async (tx) => {
        await tx.run('INSERT INTO t VALUES (?)', ['b']);
        throw boom;
      }),
      gc.submit(insert('c')),
    ]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: boom },
      { status: 'fulfilled', value: 'c' },
    ]);
    expect(begins()).toBe(1);
    expect(await rows()).toEqual(['a', 'c']);
  });

  it('rejects the whole batch with STORAGE_FULL when COMMIT fails, keeps earlier data, and works again once space is back', async () => {
    const { gc, disk, insert, rows } = await setup();
    await gc.submit(insert('before'));
    disk.full = true;
    const results = await Promise.allSettled(['x', 'y', 'z'].map((x) => gc.submit(insert(x))));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(ParleyError.is((r as PromiseRejectedResult).reason, ErrorCode.STORAGE_FULL)).toBe(true);
    }
    expect(await rows()).toEqual(['before']);
    disk.full = false;
    await expect(gc.submit(insert('after'))).resolves.toBe('after');
    expect(await rows()).toEqual(['before', 'after']);
  });

  it('maps a storage-full statement inside one write to STORAGE_FULL for that write only', async () => {
    const { gc, disk, insert, rows } = await setup();
    disk.failSql = /VALUES \('big'\)/;
    const results = await Promise.allSettled([
      gc.submit(insert('a')),
      gc.submit((tx) => tx.run("INSERT INTO t VALUES ('big')")),
      gc.submit(insert('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(ParleyError.is((results[1] as PromiseRejectedResult).reason, ErrorCode.STORAGE_FULL)).toBe(true);
    expect(await rows()).toEqual(['a', 'c']);
  });

  it('fails the whole batch when SQLite itself rolls the transaction back (a real SQLITE_FULL)', async () => {
    const { gc, driver, insert, rows } = await setup();
    await gc.submit(insert('before'));
    const [{ page_count }] = (await driver.all<{ page_count: number }>('PRAGMA page_count')) as [{ page_count: number }];
    await driver.exec(`PRAGMA max_page_count = ${page_count + 2}`);
    const results = await Promise.allSettled([
      gc.submit(insert('a')),
      gc.submit((tx) => tx.run('INSERT INTO t VALUES (?)', ['x'.repeat(64 * 1024)])),
      gc.submit(insert('c')),
    ]);
    // SQLITE_FULL ends the transaction: 'a' was written in it too, so it must not claim success.
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(ParleyError.is((r as PromiseRejectedResult).reason, ErrorCode.STORAGE_FULL)).toBe(true);
    }
    expect(await rows()).toEqual(['before']);
    await expect(gc.submit(insert('after'))).resolves.toBe('after');
  });

  it('bounds the number of writes per transaction', async () => {
    const { gc, insert, rows, begins } = await setup(3);
    const xs = ['1', '2', '3', '4', '5', '6', '7'];
    await Promise.all(xs.map((x) => gc.submit(insert(x))));
    expect(begins()).toBe(3);
    expect(await rows()).toEqual(xs);
  });

  it('lets submitted writes finish on close, then refuses new ones with CLOSED', async () => {
    const { gc, insert, rows } = await setup();
    const pending = [gc.submit(insert('a')), gc.submit(insert('b'))];
    await gc.close();
    await expect(Promise.all(pending)).resolves.toEqual(['a', 'b']);
    const err = await gc.submit(insert('c')).catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.CLOSED)).toBe(true);
    expect(await rows()).toEqual(['a', 'b']);
  });

  it('rejects the writes of a batch whose BEGIN fails instead of retrying forever', async () => {
    const { gc, driver, insert } = await setup();
    await driver.close();
    const err = await gc.submit(insert('a')).catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.CLOSED)).toBe(true);
  });
});
