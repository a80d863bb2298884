/** Server settings: defaults, and how they are read from the environment. */
import path from 'node:path';
import type { TokenSettings } from './auth/TokenVerifier';

export type SessionPolicy = 'single' | 'multi';

export interface Rate {
  perSecond: number;
  burst: number;
}

/** Who may read GET /metrics. */
export type MetricsAccess = { kind: 'open' } | { kind: 'loopback' } | { kind: 'token'; token: string };

export interface ServerConfig {
  /** Where the embedded SQLite database (and the dev secret) live. */
  dataDir: string;
  /** HMAC key for tokens. Required in production; in dev a random one is kept in dataDir. */
  secret: string | undefined;
  /**
   * How session tokens (JWTs) are verified: public keys (a PEM or JWKS file, or a JWKS URL) for
   * EdDSA/ES256, and the `iss`/`aud` they must carry. Empty: HS256 with `secret`.
   */
  tokens: TokenSettings;
  /** 'single': a new login on another device kicks the older one. 'multi': devices coexist. */
  sessionPolicy: SessionPolicy;
  /** Browser origins allowed to open the socket. A missing Origin (non-browser client) is allowed. */
  allowedOrigins: 'same-origin' | string[];
  /** ws `maxPayload`: a bigger frame closes the socket with 1009. */
  maxFrameBytes: number;
  /**
   * Token bucket over incoming frames (acks exempt) per user, shared by all their sockets, so a
   * reconnect grants no fresh burst; per IP before a socket authenticates.
   */
  rateLimit: Rate;
  /**
   * Messages a user may send, singly or in batches: a burst big enough for a queue written
   * offline to go out at once on reconnect, refilled slowly. The frame limit alone would let a
   * batch carry 100 messages per frame.
   */
  messageRate: Rate;
  /** Auth frames per IP (a token-guessing or connection flood costs its source, not everyone). */
  authRate: Rate;
  /** Sockets one IP may have open that have not authenticated yet; more are refused (429). */
  maxUnauthenticatedPerIp: number;
  /** Uploads per user. */
  uploadRate: Rate;
  /** Bytes of uploaded media one user may keep; past it uploads are refused (413). */
  mediaQuotaBytes: number;
  /** Take the client's IP from the last X-Forwarded-For entry (behind a trusted proxy) rather than the socket. */
  trustProxy: boolean;
  /**
   * HTTP bounds (ms): all headers within `headers`, the whole request within `request`, a socket
   * silent for `idle` is closed, a keep-alive socket waits `keepAlive` for the next request.
   */
  httpTimeouts: { headers: number; request: number; idle: number; keepAlive: number };
  /** Most sockets open at once (HTTP and WebSocket); more are dropped by the OS accept path. */
  maxConnections: number;
  /** Restricts GET /metrics: 'open', a bearer token, or loopback callers only. */
  metricsAccess: MetricsAccess;
  /** A socket silent for longer than this is closed (clients ping well within it). */
  idleTimeoutMs: number;
  /** A socket that has not authenticated within this is closed. */
  authTimeoutMs: number;
  /** Unacked pushes are re-sent after this long without ack progress. */
  pushResendMs: number;
  /** Rounds of resend without any ack progress before the socket is closed. */
  pushResendLimit: number;
  /** Most pushes in flight (sent, unacked) per socket; the rest wait in the database. */
  pushWindow: number;
  /** The newest events kept in memory, from which sockets behind read their backlog (~1 KB each). */
  recentEvents: number;
  /**
   * The push stream's horizon: events older than `maxAgeMs` are pruned every `intervalMs`, `batch`
   * per write. A device away longer rebuilds from the head at its next connect (PROTOCOL.md §6).
   */
  pushRetention: { maxAgeMs: number; intervalMs: number; batch: number };
  /**
   * SQLite `synchronous`: 'full' (the default) makes an acked write survive a power loss or OS crash;
   * 'normal' survives a process crash only, and a power loss may take back writes already acked.
   */
  sqliteSync: 'normal' | 'full';
  /**
   * PostgreSQL for several nodes (PARLEY_DATABASE_URL): the node keeps nothing in `dataDir` but its
   * dev secret. Undefined: the embedded SQLite database.
   */
  databaseUrl: string | undefined;
  /** The PostgreSQL schema Parley's tables live in (PARLEY_DATABASE_SCHEMA; default: the connection's, `public`). */
  databaseSchema: string | undefined;
  /** Connections each node keeps to PostgreSQL (PARLEY_DATABASE_POOL). */
  databasePoolSize: number;
  /**
   * Redis for live fan-out between nodes (PARLEY_REDIS_URL). Without it, nodes on one database still
   * hear each other's messages, from the database's position check (`streamCheckMs`), not at once.
   */
  redisUrl: string | undefined;
  /** How often a node on PostgreSQL checks the stream for commits it was not told of (ms). */
  streamCheckMs: number;
  /**
   * On SIGTERM, how long the node reports itself unready (GET /healthz 503) and refuses new sockets
   * before it closes the open ones with 4005 (go elsewhere): the time a load balancer needs to stop
   * sending it traffic (PARLEY_DRAIN_DELAY_MS; 0 by default, for a single node).
   */
  drainDelayMs: number;
  /**
   * How long after it was stored a sender may recall a message (ms): a customer's and others'
   * (PARLEY_RECALL_WINDOW_MS, 2 minutes by default) and a shop agent's (PARLEY_AGENT_RECALL_WINDOW_MS,
   * the same by default).
   */
  recallWindowMs: number;
  agentRecallWindowMs: number;
  /** How often a node on PostgreSQL checks its sessions' claims for newer logins it was not told of (ms). */
  claimCheckMs: number;
  /** Where uploaded media live; undefined means `${dataDir}/media`. */
  mediaDir: string | undefined;
  /** Upload size limits in bytes: images, voice messages, image thumbnails. */
  maxImageBytes: number;
  maxVoiceBytes: number;
  maxThumbBytes: number;
  /** Lifetime of signed media URLs (POST /media/urls), seconds. */
  mediaUrlTtlS: number;
  /** Test-only fault hooks. */
  testHooks: boolean;
  /** Dev mode: GET /dev/token hands anyone a token for any seeded demo user, a shop agent included. */
  devTokens: boolean;
  /** Dev mode: seed the demo shop and users into the database. */
  seedDemo: boolean;
  /** Dev mode: without `secret`, make a random one and keep it in dataDir (tokens survive a restart). */
  devSecret: boolean;
  /** Wall clock, injectable for tests. */
  now: () => number;
  /** Where log lines go. */
  log: (line: string) => void;
}

export function defaultConfig(): ServerConfig {
  return {
    dataDir: path.resolve('data'),
    secret: undefined,
    tokens: {},
    sessionPolicy: 'single',
    allowedOrigins: 'same-origin',
    maxFrameBytes: 64 * 1024,
    rateLimit: { perSecond: 50, burst: 100 },
    messageRate: { perSecond: 20, burst: 2000 },
    authRate: { perSecond: 5, burst: 30 },
    maxUnauthenticatedPerIp: 32,
    uploadRate: { perSecond: 1, burst: 60 },
    mediaQuotaBytes: 1024 * 1024 * 1024,
    trustProxy: false,
    httpTimeouts: { headers: 10_000, request: 120_000, idle: 30_000, keepAlive: 5_000 },
    maxConnections: 10_000,
    metricsAccess: { kind: 'open' },
    idleTimeoutMs: 75_000,
    authTimeoutMs: 10_000,
    pushResendMs: 5_000,
    pushResendLimit: 6,
    pushWindow: 256,
    recentEvents: 4096,
    pushRetention: { maxAgeMs: 30 * 24 * 60 * 60 * 1000, intervalMs: 60 * 60 * 1000, batch: 2000 },
    sqliteSync: 'full',
    databaseUrl: undefined,
    databaseSchema: undefined,
    databasePoolSize: 10,
    redisUrl: undefined,
    streamCheckMs: 1000,
    claimCheckMs: 2000,
    drainDelayMs: 0,
    recallWindowMs: 2 * 60_000,
    agentRecallWindowMs: 2 * 60_000,
    mediaDir: undefined,
    maxImageBytes: 10 * 1024 * 1024,
    maxVoiceBytes: 5 * 1024 * 1024,
    maxThumbBytes: 512 * 1024,
    mediaUrlTtlS: 24 * 60 * 60,
    testHooks: false,
    devTokens: false,
    seedDemo: false,
    devSecret: false,
    now: Date.now,
    log: (line) => console.log(line),
  };
}

/** A setting that must not run where it was asked for. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DEVELOPMENT_ENVS = new Set(['development', 'dev', 'test']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Why this environment looks like a deployment, or null when it is clearly a developer's machine:
 * NODE_ENV unset or development/test, and listening on loopback only.
 */
export function productionSign(env: NodeJS.ProcessEnv): string | null {
  const nodeEnv = env.NODE_ENV?.trim();
  if (nodeEnv && !DEVELOPMENT_ENVS.has(nodeEnv.toLowerCase())) return `NODE_ENV=${nodeEnv}`;
  const host = env.HOST?.trim();
  if (host && !LOOPBACK_HOSTS.has(host.toLowerCase())) return `HOST=${host} (reachable from other machines)`;
  return null;
}

/**
 * Read settings from the environment (see README for the list). Dev mode (dev tokens, the demo
 * seed, a dev secret) is on only when asked for, with `--dev` in `argv` or PARLEY_DEV=1, as
 * `npm start` does; asking for it, or for test hooks, where the environment looks like a
 * deployment throws a ConfigError: the server must not start.
 */
export function configFromEnv(env: NodeJS.ProcessEnv, argv: readonly string[] = []): Partial<ServerConfig> {
  const dev = argv.includes('--dev') || env.PARLEY_DEV === '1';
  const testHooks = env.PARLEY_TEST_HOOKS === '1';
  const sign = dev || testHooks ? productionSign(env) : null;
  if (sign) {
    const asked = dev ? 'dev mode (--dev or PARLEY_DEV=1: anyone may take a demo identity)' : 'test hooks (PARLEY_TEST_HOOKS=1)';
    throw new ConfigError(`refusing to start: ${asked} where the environment looks like a deployment (${sign})`);
  }
  const cfg: Partial<ServerConfig> = {
    devTokens: dev && env.PARLEY_DEV_TOKENS !== '0',
    seedDemo: dev && env.PARLEY_SEED_DEMO !== '0',
    devSecret: dev,
    testHooks,
  };
  if (env.PARLEY_DATA_DIR) cfg.dataDir = path.resolve(env.PARLEY_DATA_DIR);
  if (env.PARLEY_SECRET) cfg.secret = env.PARLEY_SECRET;
  const tokens: TokenSettings = {};
  if (env.PARLEY_JWT_PUBLIC_KEY_FILE) tokens.publicKeyFile = path.resolve(env.PARLEY_JWT_PUBLIC_KEY_FILE);
  if (env.PARLEY_JWT_JWKS_URL) tokens.jwksUrl = env.PARLEY_JWT_JWKS_URL.trim();
  if (env.PARLEY_JWT_ISSUER) tokens.issuer = env.PARLEY_JWT_ISSUER.trim();
  if (env.PARLEY_JWT_AUDIENCE) tokens.audience = env.PARLEY_JWT_AUDIENCE.trim();
  if (tokens.publicKeyFile && tokens.jwksUrl) throw new ConfigError('give PARLEY_JWT_PUBLIC_KEY_FILE or PARLEY_JWT_JWKS_URL, not both');
  if (tokens.jwksUrl && !/^https?:\/\//.test(tokens.jwksUrl)) throw new ConfigError(`PARLEY_JWT_JWKS_URL must be an http(s) URL (got ${tokens.jwksUrl})`);
  if (Object.keys(tokens).length > 0) cfg.tokens = tokens;
  if (env.PARLEY_SESSION_POLICY === 'multi' || env.PARLEY_SESSION_POLICY === 'single') {
    cfg.sessionPolicy = env.PARLEY_SESSION_POLICY;
  }
  if (env.PARLEY_ALLOWED_ORIGINS) {
    cfg.allowedOrigins = env.PARLEY_ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  }
  if (env.PARLEY_SQLITE_SYNC === 'full' || env.PARLEY_SQLITE_SYNC === 'normal') cfg.sqliteSync = env.PARLEY_SQLITE_SYNC;
  if (env.PARLEY_MEDIA_DIR) cfg.mediaDir = path.resolve(env.PARLEY_MEDIA_DIR);
  if (env.PARLEY_DATABASE_URL) cfg.databaseUrl = env.PARLEY_DATABASE_URL.trim();
  if (env.PARLEY_DATABASE_SCHEMA) cfg.databaseSchema = env.PARLEY_DATABASE_SCHEMA.trim();
  if (env.PARLEY_REDIS_URL) cfg.redisUrl = env.PARLEY_REDIS_URL.trim();
  if (cfg.redisUrl && !cfg.databaseUrl) throw new ConfigError('PARLEY_REDIS_URL needs PARLEY_DATABASE_URL: Redis carries fan-out between nodes that share one PostgreSQL database');
  const positive = (value: string | undefined): number | undefined =>
    value && /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : undefined;
  const sizes = {
    maxImageBytes: positive(env.PARLEY_MAX_IMAGE_BYTES),
    maxVoiceBytes: positive(env.PARLEY_MAX_VOICE_BYTES),
    maxThumbBytes: positive(env.PARLEY_MAX_THUMB_BYTES),
    mediaUrlTtlS: positive(env.PARLEY_MEDIA_URL_TTL),
    mediaQuotaBytes: positive(env.PARLEY_MEDIA_QUOTA_BYTES),
    maxConnections: positive(env.PARLEY_MAX_CONNECTIONS),
    databasePoolSize: positive(env.PARLEY_DATABASE_POOL),
    drainDelayMs: positive(env.PARLEY_DRAIN_DELAY_MS),
    recallWindowMs: positive(env.PARLEY_RECALL_WINDOW_MS),
    agentRecallWindowMs: positive(env.PARLEY_AGENT_RECALL_WINDOW_MS),
  };
  for (const [name, value] of Object.entries(sizes)) if (value !== undefined) Object.assign(cfg, { [name]: value });
  const retentionDays = positive(env.PARLEY_PUSH_RETENTION_DAYS);
  if (retentionDays !== undefined) cfg.pushRetention = { ...defaultConfig().pushRetention, maxAgeMs: retentionDays * 24 * 60 * 60 * 1000 };
  if (env.PARLEY_TRUST_PROXY === '1') cfg.trustProxy = true;
  const metrics = env.PARLEY_METRICS?.trim();
  if (metrics === 'loopback') cfg.metricsAccess = { kind: 'loopback' };
  else if (metrics?.startsWith('token:')) {
    const token = metrics.slice('token:'.length);
    if (token.length < 16) throw new ConfigError('PARLEY_METRICS=token:<t> needs a token of 16 characters or more');
    cfg.metricsAccess = { kind: 'token', token };
  } else if (metrics && metrics !== 'open') throw new ConfigError(`PARLEY_METRICS must be open, loopback or token:<t> (got ${metrics})`);
  return cfg;
}
