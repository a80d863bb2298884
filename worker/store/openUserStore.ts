/**
 * How the worker opens a user's local database: one per user (switching accounts in one browser
 * never mixes data), on wa-sqlite over IndexedDB.
 */
import { LocalStore } from './LocalStore';
import type { SqlDriver, StorageDurability } from './SqlDriver';
import { openWaSqlite } from './waSqliteDriver';

/**
 * Opens `user`'s database and the store on it. `wrap` puts a layer between the store and the
 * driver, chosen when the worker is wired (the chaos tests record writes with it); by default none.
 */
export async function openUserStore(
  user: string,
  parties: string[],
  wrap: (driver: SqlDriver) => SqlDriver = (driver) => driver,
): Promise<{ store: LocalStore; durability: StorageDurability }> {
  const driver = await openWaSqlite({ name: `parley-${user}` });
  try {
    const store = await LocalStore.open(wrap(driver), { userId: user, partyIds: parties, now: Date.now });
    return { store, durability: driver.durability };
  } catch (err) {
    await driver.close();
    throw err;
  }
}
