/**
 * The worker bundle the browser devices load instead of worker/entry.ts: the same engine and
 * opener, with the chaos checker's view of the database wired in at open (chaosStore.ts). Built by
 * the chaos run into its work dir and served by browser/webServer.ts.
 */
import { serveWorker } from '../../../worker/host/serveWorker';
import { openUserStore } from '../../../worker/store/openUserStore';
import { openChaosStore } from './chaosStore';

serveWorker((user, parties) => openChaosStore((wrap) => openUserStore(user, parties, wrap)));
