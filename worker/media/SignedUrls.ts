/**
 * Loadable URLs for `/media/<key>` paths. `<img src>` cannot send a Bearer token, so the server
 * signs expiring URLs (POST /media/urls); this caches them for every tab of the engine and
 * coalesces the tabs' asks into one request per tick (at most MAX_KEYS each). When signing fails
 * (offline) the answer is the bare URL: a service worker that cached the file by its path serves
 * it, and without one the browser shows a broken image rather than the call hanging.
 */
import type { Clock } from '../platform';
import type { MediaHttp } from './MediaHttp';

export interface SignedUrlsDeps {
  http: MediaHttp;
  baseUrl: string;
  getToken(fresh: boolean): Promise<string>;
  clock: Clock;
}

/** The server's cap per request (server/media/urls.ts). */
const MAX_KEYS = 100;
/** Most signed URLs kept; the oldest go first. */
const CACHE_SIZE = 2_000;
/** A URL this close to expiry is signed again, so a page never gets one that dies while it loads. */
const RENEW_BEFORE_MS = 10 * 60 * 1000;
const SIGN_TIMEOUT_MS = 10_000;
const MEDIA_PATH = /^\/media\/[A-Za-z0-9_-]{1,128}$/;

interface Waiter {
  path: string;
  resolve(url: string): void;
}

export class SignedUrls {
  private readonly cache = new Map<string, { url: string; expiresAt: number }>();
  private queue: Waiter[] = [];
  private scheduled = false;

  constructor(private readonly deps: SignedUrlsDeps) {}

  static isMediaPath(path: string): boolean {
    return MEDIA_PATH.test(path);
  }

  /** For each `/media/<key>` path, a URL to load it with (signed if possible, else bare). */
  async sign(paths: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const pending: Promise<void>[] = [];
    for (const path of new Set(paths)) {
      if (!MEDIA_PATH.test(path)) continue;
      const hit = this.cache.get(path);
      if (hit && hit.expiresAt - RENEW_BEFORE_MS > this.deps.clock.now()) {
        out[path] = hit.url;
        continue;
      }
      pending.push(new Promise<string>((resolve) => this.enqueue({ path, resolve })).then((url) => void (out[path] = url)));
    }
    await Promise.all(pending);
    return out;
  }

  private enqueue(w: Waiter): void {
    this.queue.push(w);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const batch = this.queue;
      this.queue = [];
      for (let i = 0; i < batch.length; i += MAX_KEYS) void this.flush(batch.slice(i, i + MAX_KEYS));
    });
  }

  private async flush(batch: Waiter[]): Promise<void> {
    const bare = (path: string) => `${this.deps.baseUrl}${path}`;
    let signed: Record<string, string> = {};
    let expiresAt = 0;
    try {
      const token = await this.deps.getToken(false);
      const answer = await this.deps.http.postJson(`${this.deps.baseUrl}/media/urls`, token, { keys: batch.map((w) => w.path) }, SIGN_TIMEOUT_MS);
      const body = answer.body as { urls?: Record<string, unknown>; expiresAt?: unknown } | null;
      if (answer.status === 200 && body?.urls && typeof body.expiresAt === 'number') {
        expiresAt = body.expiresAt;
        for (const [path, url] of Object.entries(body.urls)) if (typeof url === 'string' && url.startsWith('/media/')) signed[path] = url;
      }
    } catch {
      signed = {}; // offline or no token: bare URLs below
    }
    for (const w of batch) {
      const url = signed[w.path];
      if (url) this.remember(w.path, `${this.deps.baseUrl}${url}`, expiresAt);
      w.resolve(url ? `${this.deps.baseUrl}${url}` : bare(w.path));
    }
  }

  private remember(path: string, url: string, expiresAt: number): void {
    this.cache.delete(path);
    this.cache.set(path, { url, expiresAt });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
  }
}
