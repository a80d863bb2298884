/**
 * Paint before the engine is up: the latest page of a conversation as the engine last saved it,
 * read straight from IndexedDB (one get, no worker, no WebAssembly). Call it beside connect() and
 * paint what it returns as a snapshot; the live result from watchMessages then replaces it.
 *
 * What it returns was read from the user's database, and the engine deletes it before any stored
 * message is removed, so it never shows a message the database does not hold; it may lack the
 * newest ones, and states (sent, read) may be behind.
 */
import type { LocalMessage } from '../../worker/protocol';
import { forgetUserSnapshots, getSnapshot, openSnapshotDb } from '../../worker/snapshot/snapshotDb';
import { withTimeout } from '../timeout';

export interface SnapshotQuery {
  /** The same user as connect()'s `user`. Default: 'default', as there. */
  user?: string;
  conversationId: string;
  /** At most this many of the latest rows. Default 50 (also the most a snapshot holds). */
  limit?: number;
}

export interface ConversationSnapshot {
  snapshot: true;
  conversationId: string;
  /** Ascending, like watchMessages. */
  messages: LocalMessage[];
  /** When the engine read these rows from the database (ms since the epoch). */
  savedAt: number;
}

/** How long a cold open may wait on the snapshot before painting without it. */
const READ_TIMEOUT_MS = 1_000;

/** The snapshot of `conversationId`, or null (none saved, IndexedDB unavailable, or too slow). */
export async function readSnapshot(query: SnapshotQuery): Promise<ConversationSnapshot | null> {
  if (typeof indexedDB === 'undefined') return null;
  const user = query.user ?? 'default';
  const limit = query.limit ?? 50;
  try {
    return await withTimeout(
      (async () => {
        const db = await openSnapshotDb();
        try {
          const record = await getSnapshot(db, user, query.conversationId);
          if (!record || record.messages.length === 0) return null;
          return { snapshot: true, conversationId: record.conversationId, messages: record.messages.slice(-limit), savedAt: record.savedAt } as const;
        } finally {
          db.close();
        }
      })(),
      READ_TIMEOUT_MS,
      'snapshot read',
    );
  } catch {
    return null;
  }
}

/**
 * Deletes `user`'s snapshots (on logout: what the next person at this browser could paint). The
 * local database itself is kept. Close the user's client first: a running engine saves again
 * what its views read.
 */
export async function forgetSnapshots(user = 'default'): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  await forgetUserSnapshots(user);
}
