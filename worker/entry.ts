/**
 * The worker bundle's entry: serve tabs (as a SharedWorker, or as the fallback's dedicated Worker)
 * with one engine over each user's own database.
 */
import { serveWorker } from './host/serveWorker';
import { parseWorkerName } from './host/workerName';
import { openUserStore, userDatabaseName, userWiper } from './store/openUserStore';
import { openWaSqlite, type WaSqliteDriver } from './store/waSqliteDriver';

// The name says whose engine this is: the wasm and the database start loading now, while the
// first tab's attach is still on its way (and the tab's own startup overlaps it). Not when it is
// encrypted: its key comes with the attach.
const named = parseWorkerName((self as { name?: string }).name);
const earlyUser = named && !named.encrypted ? named.user : null;
let early: Promise<WaSqliteDriver> | null = earlyUser === null ? null : openWaSqlite({ name: userDatabaseName(earlyUser) });
early?.catch(() => {}); // reported by the attach that takes it

serveWorker(
  async (user, parties, key) => {
    let opening = user === earlyUser ? (early ?? undefined) : undefined;
    if (opening) early = null;
    // A plain open started for a tab that then brings a key: closed, and opened again with it.
    if (opening && key !== undefined) {
      await opening.then((d) => d.close(), () => {});
      opening = undefined;
    }
    return openUserStore(user, parties, undefined, opening, key);
  },
  userWiper,
);
