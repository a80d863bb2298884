/**
 * Wires the server together: HTTP routes, the WebSocket endpoint at /ws with its Origin check,
 * sessions, the store and the fan-out hub.
 */
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { resolveSecret } from './auth/secret';
import { TokenVerifier } from './auth/TokenVerifier';
import { defaultConfig, type ServerConfig } from './config';
import { CommitPublisher } from './fanout/CommitPublisher';
import { LocalHub } from './fanout/Hub';
import { RecentEvents } from './fanout/RecentEvents';
import { handlers } from './handlers';
import { handleRoute } from './http/routes';
import { FsMediaStorage } from './media/FsMediaStorage';
import type { MediaStorage } from './media/MediaStorage';
import { handleMediaRoute } from './media/routes';
import { serverMetrics } from './metrics';
import { Retention } from './store/Retention';
import { openStore } from './store/openStore';
import type { PgStore } from './store/postgres/PgStore';
import type { SqliteStore } from './store/sqlite/SqliteStore';
import { TestHooks, withPushHooks, withRequestHooks } from './testHooks';
import { Limits } from './limits/Limits';
import { MediaQuota } from './media/quota';
import { Session } from './ws/Session';
import { SessionRegistry } from './ws/SessionRegistry';
import { Signals } from './signals/Signals';
import { Desk } from './desk/Desk';

/** Serves what the built-in routes do not (the demo app, later); return false for 404. */
export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Connect/Express-style middleware. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Parley without an HTTP server of its own, for mounting into an existing one (a shop's Express,
 * Fastify or plain `http` server): its routes as a handler, its WebSocket as an upgrade handler.
 */
export interface Parley {
  readonly config: ServerConfig;
  /** The embedded SQLite store, or PostgreSQL when `config.databaseUrl` is set. */
  readonly store: SqliteStore | PgStore;
  readonly hooks: TestHooks | null;
  readonly metrics: ReturnType<typeof serverMetrics>;
  /** The push stream's pruning (runs on its own timer; `run()` prunes now). */
  readonly retention: Retention;
  /**
   * Serves Parley's own routes (`/healthz`, `/metrics`, `/media/…`, the dev token endpoint, test
   * hooks) and resolves true; resolves false, without touching the response, for any other path.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /**
   * Takes a WebSocket upgrade on `/ws` (refusing it with a status when the origin, the drain or the
   * admission limits say so) and returns true; returns false, leaving the socket untouched, for any
   * other path, so the host's own upgrades (a dev server's hot reload, say) keep working.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Listens for upgrades on an existing server; the returned function stops listening. */
  attach(server: http.Server | https.Server): () => void;
  /** {@link handleRequest} as Connect/Express middleware: Parley's routes, else `next()`. */
  middleware(): Middleware;
  /**
   * Stop taking traffic: /healthz says 503 and new sockets are refused at once; after
   * `config.drainDelayMs` the open sockets are closed with 4005 (go elsewhere). close() drains first.
   */
  drain(): Promise<void>;
  /** Drains, closes every socket and the store. A host's server is left open (it is the host's). */
  close(): Promise<void>;
}

/** Parley with an HTTP server of its own (the standalone mode `npm start` runs). */
export interface ParleyServer extends Parley {
  listen(port?: number, host?: string): Promise<{ port: number }>;
  /** http://host:port once listening. */
  readonly url: string;
  readonly wsUrl: string;
}

export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowed: ServerConfig['allowedOrigins']): boolean {
  // Browsers always send Origin on WebSocket upgrades; its absence means a non-browser client,
  // which cross-site WebSocket hijacking cannot involve.
  if (!origin) return true;
  if (allowed === 'same-origin') {
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  return allowed.includes(origin);
}

/** The client's address: the socket's, or behind a trusted proxy the one it appended last. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const last = (Array.isArray(forwarded) ? forwarded.at(-1) : forwarded)?.split(',').at(-1)?.trim();
  return last || req.socket.remoteAddress || 'unknown';
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export interface ServerParts {
  /** Where uploads go; default: files under `config.mediaDir` (or `${dataDir}/media`). */
  mediaStorage?: MediaStorage;
}

/** Parley for mounting into an existing server: see {@link Parley}. */
export async function createParley(overrides: Partial<ServerConfig> = {}, parts: ServerParts = {}): Promise<Parley> {
  const config: ServerConfig = { ...defaultConfig(), ...overrides };
  fs.mkdirSync(config.dataDir, { recursive: true });
  const secret = resolveSecret(config.secret, config.dataDir, config.devSecret);
  const tokens = new TokenVerifier(secret, config.tokens, { allowHs256WithPublicKeys: config.devTokens, now: config.now });
  const registry = new SessionRegistry<Session>(config.sessionPolicy);
  const opened = await openStore(config, registry);
  const store = opened.store;
  // An explicit media dir (a mount all nodes share) wins; a cluster otherwise keeps media in PostgreSQL.
  const mediaStorage =
    parts.mediaStorage ?? (config.mediaDir === undefined ? opened.mediaStorage : null) ?? new FsMediaStorage(config.mediaDir ?? path.join(config.dataDir, 'media'));
  const leftovers = (await mediaStorage.removeLeftovers?.()) ?? 0;
  if (leftovers > 0) config.log(`media: removed ${leftovers} files left by uploads a crash cut short`);

  const hub = new LocalHub();
  const metrics = serverMetrics();
  const limits = new Limits(config, metrics.unauthenticated);
  const mediaDeps = { config, secret, tokens, store, storage: mediaStorage, metrics, limits, quota: new MediaQuota(store.media, config.mediaQuotaBytes) };
  const hooks = config.testHooks ? new TestHooks() : null;
  const startedAt = config.now();

  const recent = new RecentEvents(config.recentEvents);
  const publisher = new CommitPublisher({ recipients: (id) => store.recipients(id), hub, recent, log: config.log });
  store.onCommitted((events) => publisher.committed(events));
  const published = () => publisher.published();
  const signals = new Signals({
    members: (id) => store.listMembers(id),
    socketsOf: (userId) => registry.sessionsOf(userId),
    broker: opened.broker,
    epoch: store.epoch,
    now: config.now,
    log: config.log,
  });
  await signals.start();
  const desk = new Desk(store, signals, config.log);
  // Test hooks are wrapped around the real parts here; the sessions and deliveries know nothing of them.
  const sessionDeps = {
    config,
    tokens,
    store,
    hub,
    recent,
    registry,
    sessions: opened.sessions,
    handlers: hooks ? withRequestHooks(handlers, hooks) : handlers,
    metrics,
    limits,
    published,
    signals,
    desk,
    ...(hooks ? { wrapPushSend: <F>(send: (frame: F) => void) => withPushHooks(send, hooks) } : {}),
  };
  const sessions = new Set<Session>();

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (await handleRoute(req, res, { config, secret, metrics, hooks, startedAt, unready: () => (draining ? Promise.resolve('draining') : opened.unready()), sessions: () => registry.all().map((s) => ({ userId: s.userId, deviceId: s.deviceId, claim: s.fence?.epoch ?? null })) })) return true;
    return handleMediaRoute(req, res, new URL(req.url ?? '/', 'http://localhost'), mediaDeps);
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, perMessageDeflate: false });
  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/ws') return false;
    const refuse = (reason: string, status: number, text: string) => {
      metrics.refusedUpgrades.inc(1, { reason });
      refuseUpgrade(socket, status, text);
      return true;
    };
    if (draining) return refuse('draining', 503, 'Service Unavailable');
    if (!isOriginAllowed(req.headers.origin, req.headers.host, config.allowedOrigins)) return refuse('origin', 403, 'Forbidden');
    const ip = clientIp(req, config.trustProxy);
    if (!limits.admit(ip)) return refuse('too_many_unauthenticated', 429, 'Too Many Requests');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new Session(ws, sessionDeps, ip);
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
    });
    return true;
  };

  // One sweep for every socket: auth deadlines, idle timeouts and push resends.
  const sweepMs = Math.max(10, Math.min(1000, config.pushResendMs / 4, config.idleTimeoutMs / 4));
  const sweep = setInterval(() => {
    const now = config.now();
    for (const s of sessions) s.tick(now);
  }, sweepMs);
  const retention = new Retention({
    store,
    ...config.pushRetention,
    now: config.now,
    log: config.log,
    // A socket still replaying across what was pruned would skip it: those sockets are closed.
    pruned: (horizon) => {
      for (const s of sessions) s.pruned(horizon).catch((err: unknown) => config.log(`retention: checking a socket failed: ${String(err)}`));
    },
  });
  retention.start();
  const forget = setInterval(() => limits.sweep(), 60_000);
  forget.unref();
  sweep.unref();

  let draining = false;
  let drained: Promise<void> | null = null;
  const drain = () =>
    (drained ??= (async () => {
      draining = true;
      if (config.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.drainDelayMs));
      for (const s of sessions) s.shutdown();
    })());

  return {
    config,
    store,
    hooks,
    metrics,
    retention,
    handleRequest,
    handleUpgrade,
    attach(server) {
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void handleUpgrade(req, socket, head);
      server.on('upgrade', onUpgrade);
      return () => void server.off('upgrade', onUpgrade);
    },
    middleware() {
      return (req, res, next) => {
        handleRequest(req, res).then((handled) => {
          if (!handled) next();
        }, next);
      };
    },
    drain,
    async close() {
      await drain();
      clearInterval(sweep);
      clearInterval(forget);
      signals.stop();
      await retention.stop();
      // Sockets that did not finish their closing handshake: the host's server may live on.
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await opened.close();
    },
  };
}

/**
 * Parley on an HTTP server of its own: its routes, then `fallback` (the demo's pages and bundles in
 * `npm start`), then 404; upgrades on any path but `/ws` are refused.
 */
export async function createParleyServer(
  overrides: Partial<ServerConfig> = {},
  fallback?: FallbackHandler,
  parts: ServerParts = {},
): Promise<ParleyServer> {
  const parley = await createParley(overrides, parts);
  const { config } = parley;
  // Node checks the header and request deadlines on this interval (30 s by default): keep it well inside them.
  const connectionsCheckingInterval = Math.max(50, Math.min(1000, config.httpTimeouts.headers / 4));
  const httpServer = http.createServer({ connectionsCheckingInterval }, (req, res) => {
    void (async () => {
      try {
        if (await parley.handleRequest(req, res)) return;
        if (fallback && (await fallback(req, res))) return;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      } catch (err) {
        config.log(`http ${req.url} failed: ${String(err)}`);
        if (!res.headersSent) res.writeHead(500).end();
      }
    })();
  });

  // Node's defaults let a slow client hold a socket for minutes (requestTimeout 5 min, no idle bound).
  httpServer.headersTimeout = config.httpTimeouts.headers;
  httpServer.requestTimeout = config.httpTimeouts.request;
  httpServer.keepAliveTimeout = config.httpTimeouts.keepAlive;
  httpServer.timeout = config.httpTimeouts.idle;
  httpServer.maxConnections = config.maxConnections;

  httpServer.on('upgrade', (req, socket, head) => {
    if (parley.handleUpgrade(req, socket, head)) return;
    parley.metrics.refusedUpgrades.inc(1, { reason: 'path' });
    refuseUpgrade(socket, 404, 'Not Found');
  });

  let address = '';
  return {
    ...parley,
    get url() {
      return `http://${address}`;
    },
    get wsUrl() {
      return `ws://${address}/ws`;
    },
    listen(port = 8080, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const a = httpServer.address() as AddressInfo;
          address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
          resolve({ port: a.port });
        });
      });
    },
    async close() {
      // Sockets go with 4005 first; then no request can reach the store while it closes.
      await parley.drain();
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await parley.close();
      await closed;
    },
  };
}
