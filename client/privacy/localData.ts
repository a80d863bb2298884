/**
 * What a tab keeps of a user outside the engine's database, and its removal on a wiping sign-out:
 * composer drafts in localStorage and media a service worker cached (Cache Storage). The engine
 * deletes the database and the snapshots itself.
 */
import { DRAFT_PREFIX, MEDIA_CACHE_PREFIX } from '../../schema/localKeys';

/** Delete `user`'s drafts and the cached media in this origin. Never throws: what cannot be deleted is left. */
export async function wipeTabData(user: string): Promise<void> {
  try {
    const storage = typeof localStorage === 'undefined' ? null : localStorage;
    if (storage) {
      const prefix = `${DRAFT_PREFIX}${user}:`;
      const keys = Array.from({ length: storage.length }, (_, i) => storage.key(i)).filter((k): k is string => k !== null && k.startsWith(prefix));
      for (const k of keys) storage.removeItem(k);
    }
  } catch {
    // Storage blocked (a privacy setting): there were no drafts either.
  }
  try {
    if (typeof caches !== 'undefined') {
      for (const name of await caches.keys()) if (name.startsWith(MEDIA_CACHE_PREFIX)) await caches.delete(name);
    }
  } catch {
    // No Cache Storage here (an insecure origin): nothing was cached.
  }
}
