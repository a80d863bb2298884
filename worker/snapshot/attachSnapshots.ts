/**
 * Wires the cold-open snapshot to a user's store when the worker opens it: the driver goes
 * through guardRemovals, and the pages the store reads for the latest messages of a conversation
 * (what live views show) are saved by a SnapshotWriter.
 */
import type { Timers } from '../platform';
import type { LocalStore } from '../store/LocalStore';
import type { SqlDriver } from '../store/SqlDriver';
import { guardRemovals } from './guardRemovals';
import { getEpoch, openSnapshotDb, putSnapshot, removeUserSnapshots } from './snapshotDb';
import { SnapshotWriter, type SnapshotStorage } from './SnapshotWriter';

/**
 * snapshotDb.ts behind SnapshotStorage. Each call chains on the one database promise, so the
 * IndexedDB transactions are created in call order (the writer's ordering argument needs it).
 */
export function indexedDbSnapshotStorage(factory: IDBFactory = indexedDB): SnapshotStorage {
  const db = openSnapshotDb(factory);
  return {
    epoch: (user) => db.then((d) => getEpoch(d, user)),
    put: (record, epoch) => db.then((d) => putSnapshot(d, record, epoch)),
    remove: (user) => db.then((d) => removeUserSnapshots(d, user)),
  };
}

export interface SnapshotWiring {
  writer: SnapshotWriter;
  /** The driver to open the store on: removals wait for the snapshot to be gone. */
  driver: SqlDriver;
  /** Call once the store is open: its latest-page reads feed the writer. */
  observe(store: LocalStore): void;
}

export function attachSnapshots(user: string, driver: SqlDriver, storage: SnapshotStorage, timers: Timers, now: () => number): SnapshotWiring {
  const writer = new SnapshotWriter(user, storage, timers, now);
  return {
    writer,
    driver: guardRemovals(driver, writer),
    observe(store) {
      const latest = store.latest.bind(store);
      store.latest = async (conversationId, limit) => {
        const token = writer.token();
        const rows = await latest(conversationId, limit);
        writer.saw(conversationId, rows, token);
        return rows;
      };
      const close = store.close.bind(store);
      store.close = async () => {
        writer.close();
        await close();
      };
    },
  };
}
