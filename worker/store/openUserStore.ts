/**
 * How the worker opens a user's local database: one per user (switching accounts in one browser
 * never mixes data), on wa-sqlite over IndexedDB, with the cold-open snapshot kept beside it.
 */
import { browserPlatform } from '../platform';
import { attachSnapshots, indexedDbSnapshotStorage } from '../snapshot/attachSnapshots';
import { LocalStore } from './LocalStore';
import type { SqlDriver, StorageDurability } from './SqlDriver';
import { openWaSqlite, type WaSqliteDriver } from './waSqliteDriver';
import { indexedDbWipeJournal, wipeUserData } from '../privacy/wipe';
import type { UserWiper } from '../host/EngineHost';

/**
 * Opens `user`'s database and the store on it. `wrap` puts a layer between the store and the
 * driver, chosen when the worker is wired (the chaos tests record writes with it); by default none.
 * `opening`: the same database's open already under way (started when the worker script ran).
 */
export async function openUserStore(
  user: string,
  parties: string[],
  wrap: (driver: SqlDriver) => SqlDriver = (driver) => driver,
  opening?: Promise<WaSqliteDriver>,
): Promise<{ store: LocalStore; durability: StorageDurability }> {
  // A wipe cut short (the worker killed mid-way) is finished before anything is opened.
  if (await indexedDbWipeJournal.pending(user).catch(() => false)) {
    await opening?.then((d) => d.close(), () => {});
    await userWiper.finish(user);
    opening = undefined;
  }
  const driver = await (opening ?? openWaSqlite({ name: userDatabaseName(user) }));
  try {
    // An in-memory database is gone with the worker: a snapshot of it would outlive its rows.
    const snapshots =
      driver.durability === 'memory' || typeof indexedDB === 'undefined'
        ? null
        : attachSnapshots(user, wrap(driver), indexedDbSnapshotStorage(), browserPlatform().timers, Date.now);
    const store = await LocalStore.open(snapshots?.driver ?? wrap(driver), { userId: user, partyIds: parties, now: Date.now });
    snapshots?.observe(store);
    return { store, durability: driver.durability };
  } catch (err) {
    await driver.close();
    throw err;
  }
}

/**
 * A user's database and snapshots deleted, journaled: from `begin` on, a wipe cut short is finished
 * by the next open of that user's store (see openUserStore); `finish` needs the store closed.
 */
export const userWiper: UserWiper = {
  begin: (user) => indexedDbWipeJournal.mark(user),
  async finish(user) {
    await wipeUserData(userDatabaseName(user), user);
    await indexedDbWipeJournal.clear(user);
  },
};

/** The IndexedDB (and SQLite file) name of `user`'s database. */
export function userDatabaseName(user: string): string {
  return `parley-${user}`;
}
