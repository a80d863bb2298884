/**
 * Names in the browser's own storage that more than one part of Parley uses: the UI kit writes
 * drafts under DRAFT_PREFIX, a service worker caches media under MEDIA_CACHE_PREFIX, and the client's
 * wiping sign-out deletes both.
 */

/** localStorage keys of composer drafts: `${DRAFT_PREFIX}${user}:${conversationId}`. */
export const DRAFT_PREFIX = 'parley.draft:';

/**
 * Cache Storage caches whose name starts with this hold media a service worker cached for the pages
 * (the demo's does). They are keyed by URL, not user: a wiping sign-out deletes them all.
 */
export const MEDIA_CACHE_PREFIX = 'parley-media';
