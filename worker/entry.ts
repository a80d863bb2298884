/**
 * The worker bundle's entry: serve tabs (as a SharedWorker, or as the fallback's dedicated Worker)
 * with one engine over each user's own database.
 */
import { serveWorker } from './host/serveWorker';
import { openUserStore } from './store/openUserStore';

serveWorker((user, parties) => openUserStore(user, parties));
