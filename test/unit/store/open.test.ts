import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../../schema';
import { LOCAL_MIGRATIONS } from '../../../schema/local/migrations';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../../worker/store/LocalStore';
import { migrate } from '../../../worker/store/migrate';
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

  it('migrates a version-2 database: the search text is derived from content, not stored, and old messages are still found', async () => {
    const file = tempFile();
    const old = new BetterSqliteDriver(file);
    await migrate(old, LOCAL_MIGRATIONS.slice(0, 2));
    await old.run(
      `INSERT INTO messages (id, sender_id, conversation_id, seq, content, search_text, state, created_at, server_ts)
       VALUES ('m1', 'bob', ?, 1, ?, '你好，请问有现货吗', 'received', 1, 1), ('m2', 'bob', ?, 2, ?, 'Green Tea 绿茶', 'received', 2, 2)`,
      [C1, JSON.stringify({ type: 'text', text: '你好，请问有现货吗' }), C1, JSON.stringify({ type: 'product', productId: 'p1', title: 'Green Tea 绿茶', price: { amount: '1', currency: 'CNY' } })],
    );
    await old.close();

    const o = await openStore({ file });
    // hidden = 2: a VIRTUAL generated column, computed when read.
    expect(await o.driver.all("SELECT hidden FROM pragma_table_xinfo('messages') WHERE name = 'search_text'")).toEqual([{ hidden: 2 }]);
    expect((await o.store.search('有现货', 10)).map((m) => m.id)).toEqual(['m1']);
    expect((await o.store.search('绿茶', 10)).map((m) => m.id)).toEqual(['m2']);
    expect((await o.store.search('green tea', 10)).map((m) => m.id)).toEqual(['m2']);
    // New rows are indexed by the triggers, from content alone.
    await enqueueText(o, '这个杯子有现货吗');
    expect((await o.store.search('有现货', 10)).map((m) => m.content)).toEqual([{ type: 'text', text: '这个杯子有现货吗' }, { type: 'text', text: '你好，请问有现货吗' }]);
    // The index agrees with the content it is built from.
    await expect(o.driver.exec("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")).resolves.toBeUndefined();
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
