import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../../schema';
import { LOCAL_MIGRATIONS } from '../../../schema/local/migrations';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../../worker/store/LocalStore';
import { BOB, C1, enqueueText, ME, openStore, tempFile } from './harness';

const userVersion = async (driver: BetterSqliteDriver) =>
  (await driver.all<{ user_version: number }>('PRAGMA user_version'))[0]?.user_version;

describe('LocalStore.open', () => {
  it('migrates a new database and records the version', async () => {
    const o = await openStore();
    expect(await userVersion(o.driver)).toBe(LOCAL_MIGRATIONS.length);
    expect(o.store.durability).toBe('memory');
  });

  it('reopens a database without running its migrations again, keeping its data', async () => {
    const file = tempFile();
    const first = await openStore({ file });
    const m = await enqueueText(first, 'kept');
    await first.store.close();
    const second = await openStore({ file });
    expect(second.store.durability).toBe('persistent');
    expect(await second.store.message(ME, m.id)).toEqual(m);
  });

  it("refuses another user's database", async () => {
    const file = tempFile();
    const mine = await openStore({ file });
    await enqueueText(mine, 'private');
    await mine.store.close();

    const driver = new BetterSqliteDriver(file);
    const err = await LocalStore.open(driver, { userId: BOB, now: () => 0 }).catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.FORBIDDEN)).toBe(true);
    // Nothing of the owner's data was touched: the owner still opens it.
    await driver.close();
    const again = await openStore({ file });
    expect(await again.store.latest(C1, 10)).toHaveLength(1);
  });

  it('refuses a database written by a newer build', async () => {
    const file = tempFile();
    const driver = new BetterSqliteDriver(file);
    await driver.exec(`PRAGMA user_version = ${LOCAL_MIGRATIONS.length + 1}`);
    const err = await LocalStore.open(driver, { userId: ME, now: () => 0 }).catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.INTERNAL)).toBe(true);
    await driver.close();
  });

  it('closes only after a write queued behind a running transaction has committed', async () => {
    const o = await openStore();
    let queued: Promise<unknown> | null = null;
    let closed: Promise<void> | null = null;
    // While the first write's transaction runs, a second write arrives, then close() is called.
    o.faults.fail = (sql) => {
      if (sql.includes('INSERT INTO outbox') && !queued) {
        queued = enqueueText(o, 'second');
        closed = o.store.close();
      }
      return false;
    };
    await enqueueText(o, 'first');
    await expect(queued!).resolves.toMatchObject({ state: 'pending' });
    await closed;
    const reopened = (await o.driver.all('SELECT 1').catch((e: unknown) => e)) as unknown;
    expect(ParleyError.is(reopened, ErrorCode.CLOSED)).toBe(true);
  });

  it('closes: submitted writes finish, later ones are refused with CLOSED', async () => {
    const o = await openStore();
    const write = enqueueText(o, 'last words');
    await o.store.close();
    await expect(write).resolves.toMatchObject({ state: 'pending' });
    const err = await enqueueText(o, 'too late').catch((e: unknown) => e);
    expect(ParleyError.is(err, ErrorCode.CLOSED)).toBe(true);
  });
});
