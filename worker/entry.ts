/**
 * The worker bundle's entry: serve tabs (as a SharedWorker, or as the fallback's dedicated Worker)
 * with one engine over each user's own database.
 */
import { serveWorker } from './host/serveWorker';
import { userOfWorkerName } from './host/workerName';
import { openUserStore, userDatabaseName, userWiper } from './store/openUserStore';
import { openWaSqlite, type WaSqliteDriver } from './store/waSqliteDriver';

// The name says whose engine this is: the wasm and the database start loading now, while the
// first tab's attach is still on its way (and the tab's own startup overlaps it).
const earlyUser = userOfWorkerName((self as { name?: string }).name);
let early: Promise<WaSqliteDriver> | null = earlyUser === null ? null : openWaSqlite({ name: userDatabaseName(earlyUser) });
early?.catch(() => {}); // reported by the attach that takes it

serveWorker(
  (user, parties) => {
    const opening = user === earlyUser ? (early ?? undefined) : undefined;
    early = null;
    return openUserStore(user, parties, undefined, opening);
  },
  userWiper,
);
