/**
 * Engine settings and their defaults. The heartbeat defaults sit among those other IM SDKs
 * publish: OpenIM pings every 24 s with a 30 s pong deadline,
 * MobileIMSDK 15 s / 20 s, stream-chat 25-30 s. We ping every 20 s and declare the link dead 10 s
 * after an unanswered ping, so a half-open socket is found within 30 s while an idle socket costs
 * three tiny frames a minute — well inside the server's 75 s idle timeout, and under the ~30-60 s
 * idle timers of common mobile NATs and proxies.
 */
export interface EngineOptions {
  /** ws:// or wss:// URL of the server's /ws endpoint. */
  url: string;
  /**
   * HTTP(S) base of the server's media endpoints (POST /media, /media/urls, GET /media/<key>).
   * Default: the socket's URL as http(s), without its final /ws.
   */
  mediaBaseUrl?: string;
  /** Stable id of this browser profile (the SharedWorker is one per profile). */
  deviceId: string;
  heartbeat: { intervalMs: number; timeoutMs: number };
  reconnect: {
    /** First backoff delay; doubles each attempt. */
    baseDelayMs: number;
    /** Upper bound of one backoff delay. */
    maxDelayMs: number;
    /** Fraction of the delay randomised (0.3 = ±30 %). */
    jitter: number;
    /** Failed attempts in a row before `gave_up` (6: a common default among IM SDKs). */
    maxAttempts: number;
    /** The attempt count resets only after staying online this long, so a flapping link keeps backing off. */
    stableAfterMs: number;
  };
  /** Connect (socket open + auth_ok) must finish within this. */
  connectTimeoutMs: number;
  requests: {
    /** Default per-request timeout. */
    timeoutMs: number;
    /** Most requests pending at once; more are refused with TOO_MANY_PENDING. */
    maxPending: number;
  };
}

export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, 'url' | 'deviceId'> = {
  heartbeat: { intervalMs: 20_000, timeoutMs: 10_000 },
  reconnect: { baseDelayMs: 500, maxDelayMs: 30_000, jitter: 0.3, maxAttempts: 6, stableAfterMs: 10_000 },
  connectTimeoutMs: 10_000,
  requests: { timeoutMs: 10_000, maxPending: 256 },
};

/** Where the media endpoints are: options.mediaBaseUrl, else derived from the socket URL. No trailing slash. */
export function mediaBaseUrl(options: Pick<EngineOptions, 'url' | 'mediaBaseUrl'>): string {
  if (options.mediaBaseUrl) return options.mediaBaseUrl.replace(/\/+$/, '');
  const u = new URL(options.url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = u.pathname.replace(/\/ws\/?$/, '');
  u.search = '';
  u.hash = '';
  return u.href.replace(/\/+$/, '');
}
