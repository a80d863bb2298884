/**
 * How the worker opens a user's local database: one per user (switching accounts in one browser
 * never mixes data), on wa-sqlite over IndexedDB, with the cold-open snapshot kept beside it.
 */
import { browserPlatform } from '../platform';
import { attachSnapshots, indexedDbSnapshotStorage } from '../snapshot/attachSnapshots';
import { LocalStore } from './LocalStore';
import { unsentCount } from './outbox';
import type { SqlDriver } from './SqlDriver';
import { openWaSqlite, type WaSqliteDriver } from './waSqliteDriver';
import { indexedDbWipeJournal, wipeUserData } from '../privacy/wipe';
import { forgetUserSnapshots } from '../snapshot/snapshotDb';
import type { OpenedStore, UserWiper } from '../host/EngineHost';
import { indexedDbUnsentTally, UnsentTally } from '../privacy/unsentTally';

/**
 * Opens `user`'s database and the store on it. `wrap` puts a layer between the store and the
 * driver, chosen when the worker is wired (the chaos tests record writes with it); by default none.
 * `opening`: the same database's open already under way (started when the worker script ran).
 * With `key` the database is encrypted at rest, and nothing of it is kept in plain beside it: no
 * cold-open snapshot (the first paint waits for the database), and the count of unsent messages is
 * tallied outside it (what a rebuild after a lost key would drop).
 */
export async function openUserStore(
  user: string,
  parties: string[],
  wrap: (driver: SqlDriver) => SqlDriver = (driver) => driver,
  opening?: Promise<WaSqliteDriver>,
  key?: string,
): Promise<OpenedStore> {
  // A wipe cut short (the worker killed mid-way) is finished before anything is opened.
  if (await indexedDbWipeJournal.pending(user).catch(() => false)) {
    await opening?.then((d) => d.close(), () => {});
    await userWiper.finish(user);
    opening = undefined;
  }
  // Snapshots hold text in the clear: ones kept before encryption was turned on must go.
  if (key !== undefined) await forgetUserSnapshots(user).catch(() => {});
  const driver = await (opening ?? openWaSqlite({ name: userDatabaseName(user), ...(key === undefined ? {} : { key }) }));
  try {
    // An in-memory database is gone with the worker: a snapshot of it would outlive its rows.
    const snapshots =
      driver.durability === 'memory' || typeof indexedDB === 'undefined' || key !== undefined
        ? null
        : attachSnapshots(user, wrap(driver), indexedDbSnapshotStorage(), browserPlatform().timers, Date.now);
    const tally = driver.encrypted ? new UnsentTally(user, () => unsentCount(driver), indexedDbUnsentTally) : null;
    const store = await LocalStore.open(snapshots?.driver ?? wrap(driver), {
      userId: user,
      partyIds: parties,
      now: Date.now,
      ...(tally ? { outboxWatch: tally } : {}),
    });
    tally?.changed();
    snapshots?.observe(store);
    return { store, durability: driver.durability, ...(driver.encrypted ? { rekey: (k: string) => driver.rekey(k) } : {}) };
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
  unsentTally: (user) => indexedDbUnsentTally.get(user),
};

/** The IndexedDB (and SQLite file) name of `user`'s database. */
export function userDatabaseName(user: string): string {
  return `parley-${user}`;
}
