/**
 * How the worker opens a user's local database: one per user (switching accounts in one browser
 * never mixes data), on wa-sqlite over IndexedDB, with the cold-open snapshot kept beside it.
 */
import { browserPlatform } from '../platform';
import { attachSnapshots, indexedDbSnapshotStorage } from '../snapshot/attachSnapshots';
import { LocalStore } from './LocalStore';
import type { SqlDriver, StorageDurability } from './SqlDriver';
import { openWaSqlite, type WaSqliteDriver } from './waSqliteDriver';

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

/** The IndexedDB (and SQLite file) name of `user`'s database. */
export function userDatabaseName(user: string): string {
  return `parley-${user}`;
}
