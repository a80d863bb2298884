/// <reference lib="webworker" />
/**
 * The demo's service worker, served at /sw.js (root scope). It makes the app shell work offline:
 * the pages, their scripts and styles, the Parley client, UI kit and worker bundles, and the
 * wa-sqlite JSPI .wasm are precached at install (with a revision per file, so an update
 * re-downloads only what changed). With the server down, a reload shows the page, the
 * SharedWorker starts from the cache (its script fetch is controlled by this worker too) and the
 * chat comes from the local database. Chat pictures and voice messages once loaded are kept too
 * (see the media route), so they show offline.
 *
 * Built by scripts/build-demo.ts with esbuild; the manifest is injected there as
 * `self.__WB_MANIFEST`. We do not use workbox-build: it only generates a manifest and bundles
 * through its own Rollup/Babel toolchain (a few hundred transitive packages), while esbuild, which
 * already builds every other bundle here, does the same in milliseconds with a manifest we make in
 * twenty lines.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import type { WorkboxPlugin } from 'workbox-core/types';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkOnly } from 'workbox-strategies';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: PrecacheEntry[] };
/** The build's id (a hash of the manifest): names the runtime cache of this version. */
declare const __DEMO_BUILD_ID__: string;

const NAVIGATION_TIMEOUT_MS = 4000;
const RUNTIME_PREFIX = 'parley-demo-runtime-';
const RUNTIME_CACHE = `${RUNTIME_PREFIX}${__DEMO_BUILD_ID__}`;

// The update flow: a new version waits until the page's "Reload" banner sends SKIP_WAITING
// (workbox-window's messageSkipWaiting()), so a running page never gets a new worker under it.
self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
// The first install controls the open pages at once, so they work offline without a reload.
clientsClaim();

// Live traffic is never cached: tokens and keys, the socket, health and metrics. Registered first, so no
// route below can catch them (the precache only answers for its own URLs anyway).
// Media (/media/…) is not live traffic: it has its own route below.
const LIVE = new Set(['/dev/token', '/dev/key', '/ws', '/healthz', '/metrics']);
registerRoute(({ url, sameOrigin }) => sameOrigin && (LIVE.has(url.pathname) || url.pathname.startsWith('/__test/')), new NetworkOnly());

/**
 * Chat media: `GET /media/<key>`, cache first. Keys are random and never reused, so the bytes
 * behind one never change and a cached copy is always right. The page loads them through signed
 * URLs (`?exp=…&sig=…`) whose query changes with every signing, so the cache key is the path alone:
 * a picture seen once online shows offline, where the client hands out the bare `/media/<key>`.
 * Only complete 200 answers are kept (not a 401 for an unsigned URL, nor a 206 part). The cache is
 * not named after the build, so a deploy keeps it, and it is trimmed to the newest entries after
 * each put (workbox-expiration would do this but is not a dependency here).
 *
 * Workbox routes match GET only (registerRoute's method defaults to GET; the router looks routes up
 * by the request's method), so uploads (`POST /media`) and signing (`POST /media/urls`) always go
 * to the network; the test below says GET anyway, so this never depends on that default.
 */
// Named parley-media…: a wiping sign-out (client.signOut({ wipe: true })) deletes it.
const MEDIA_CACHE = 'parley-media-demo';
const MEDIA_MAX_ENTRIES = 300;
const MEDIA_PATH = /^\/media\/[^/]+$/;

/** Delete the oldest entries of `cacheName` (Cache keys() lists in insertion order) down to `max`. */
async function trimCache(cacheName: string, max: number): Promise<void> {
  const cache = await caches.open(cacheName);
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - max)).map((key) => cache.delete(key)));
}

/**
 * Whether a request comes from a page whose chat data is encrypted at rest (the demo's
 * `?encrypt=1`): media it sees is not kept here in the clear. What is cached already still answers.
 */
async function fromEncryptedPage(event: ExtendableEvent | undefined): Promise<boolean> {
  const id = (event as FetchEvent | undefined)?.clientId;
  const client = id ? await self.clients.get(id) : undefined;
  return client ? new URL(client.url).searchParams.get('encrypt') === '1' : false;
}

const mediaCachePlugin: WorkboxPlugin = {
  // <audio> asks for ranges (`Range: bytes=0-`): fetch the whole file instead, so what is cached is
  // complete (a 206 part would not be cached). Later requests, ranges included, get the whole file
  // from the cache with status 200, which media elements accept. Voice files are small.
  requestWillFetch: async ({ request }) => (request.headers.has('range') ? new Request(request.url, { credentials: 'same-origin' }) : request),
  cacheKeyWillBeUsed: async ({ request }) => {
    const url = new URL(request.url);
    url.search = '';
    url.hash = '';
    return url.href;
  },
  cacheWillUpdate: async ({ response, event }) => (response.status === 200 && response.type !== 'opaque' && !(await fromEncryptedPage(event)) ? response : null),
  cacheDidUpdate: async ({ cacheName }) => trimCache(cacheName, MEDIA_MAX_ENTRIES),
};
registerRoute(
  ({ url, sameOrigin, request }) => sameOrigin && request.method === 'GET' && MEDIA_PATH.test(url.pathname),
  new CacheFirst({ cacheName: MEDIA_CACHE, plugins: [mediaCachePlugin] }),
);

/**
 * Pages: the network first (a deploy's new HTML is seen at once when online), the precached copy
 * when the network fails or hangs (a weak link should not leave a blank page for long). Registered
 * before the precache route, which would otherwise answer these navigations from the cache.
 */
async function page(request: Request, shell: string): Promise<Response> {
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), NAVIGATION_TIMEOUT_MS);
    const response = await fetch(request, { signal: controller.signal }).finally(() => clearTimeout(timer));
    if (response.status < 500) return response;
    throw new Error(`HTTP ${response.status}`);
  } catch {
    return (await matchPrecache(shell)) ?? Response.error();
  }
}
registerRoute(new NavigationRoute(({ request }) => page(request, '/'), { allowlist: [/^\/(\?.*)?$/] }));
registerRoute(new NavigationRoute(({ request }) => page(request, '/merchant'), { allowlist: [/^\/merchant\/?(\?.*)?$/] }));

precacheAndRoute(self.__WB_MANIFEST, {
  // The pages are precached as '/' and '/merchant'; a query (?as=bob) never changes a file.
  ignoreURLParametersMatching: [/.*/],
  cleanURLs: false,
});
cleanupOutdatedCaches();

/**
 * The Asyncify .wasm (2.2 MB) is not precached: the worker loads it only where JSPI is missing
 * (no WebAssembly.Suspending: today Firefox and Safari), so precaching it would cost every
 * Chromium install 2.2 MB it never uses. Browsers that do load it keep it here on first use, in a
 * cache named after this build, so a later deploy never pairs an old .wasm with new glue code.
 */
registerRoute(({ url, sameOrigin }) => sameOrigin && url.pathname === '/parley/wa-sqlite-async.wasm', new CacheFirst({ cacheName: RUNTIME_CACHE }));
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith(RUNTIME_PREFIX) && k !== RUNTIME_CACHE).map((k) => caches.delete(k)))),
  );
});
