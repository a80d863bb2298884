/**
 * The database of a browser device, as the chaos worker opens it (chaosWorker.ts): the worker's
 * own opener, with a log of the pushes stored (storedPushLog.ts) wired around the store, and a
 * diagnostics() that also returns what the checker reads of a Node device's file (storedRows.ts)
 * and that log, all from one transaction. A tab reaches it through its client, as a support page
 * would reach diagnostics(): `window.client.diagnostics()`.
 */
import type { StoreDiagnostics } from '../../../worker/store/diagnostics';
import type { LocalStore } from '../../../worker/store/LocalStore';
import type { SqlDriver, StorageDurability } from '../../../worker/store/SqlDriver';
import { readStoredPushes, StoredPushLog } from '../storedPushLog';
import { readStoredRows, type StoredRows } from '../storedRows';

/** What the chaos worker adds to diagnostics(). */
export interface ChaosDiagnostics {
  rows: StoredRows;
  /** Push cursors stored, from the log. */
  pushes: number[];
}

type Opener = (wrap: (driver: SqlDriver) => SqlDriver) => Promise<{ store: LocalStore; durability: StorageDurability }>;

/** Open through `open` (the worker's opener, given the driver wrapper) and instrument the store. */
export async function openChaosStore(open: Opener): Promise<{ store: LocalStore; durability: StorageDurability }> {
  const log = new StoredPushLog();
  const opened = await open((driver) => log.wrap(driver));
  await log.attach(opened.store);
  exposeStoredRows(opened.store, log.driver);
  return opened;
}

/** diagnostics(), plus the stored rows and pushes (`chaos`), read in one transaction so the cursor and the log agree. */
export function exposeStoredRows(store: LocalStore, driver: SqlDriver): void {
  const diagnostics = store.diagnostics.bind(store);
  store.diagnostics = async () => {
    const chaos = await driver.transaction(async (tx): Promise<ChaosDiagnostics> => ({ rows: await readStoredRows(tx), pushes: await readStoredPushes(tx) }));
    return { ...(await diagnostics()), chaos } as StoreDiagnostics;
  };
}

/** The chaos worker's part of a diagnostics() answer; throws when the tab reached another worker. */
export function chaosPart(d: StoreDiagnostics): ChaosDiagnostics {
  const chaos = (d as StoreDiagnostics & { chaos?: ChaosDiagnostics }).chaos;
  if (!chaos) throw new Error('diagnostics() has no stored rows: the tab is not served by the chaos worker (browser/chaosWorker.ts)');
  return chaos;
}
