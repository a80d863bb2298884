/** Server settings: defaults, and how they are read from the environment. */
import path from 'node:path';

export type SessionPolicy = 'single' | 'multi';

export interface ServerConfig {
  /** Where the embedded SQLite database (and the dev secret) live. */
  dataDir: string;
  /** HMAC key for tokens. Required in production; in dev a random one is kept in dataDir. */
  secret: string | undefined;
  /** 'single': a new login on another device kicks the older one. 'multi': devices coexist. */
  sessionPolicy: SessionPolicy;
  /** Browser origins allowed to open the socket. A missing Origin (non-browser client) is allowed. */
  allowedOrigins: 'same-origin' | string[];
  /** ws `maxPayload`: a bigger frame closes the socket with 1009. */
  maxFrameBytes: number;
  /** Per-connection token bucket over incoming frames. */
  rateLimit: { perSecond: number; burst: number };
  /**
   * Messages a session may send, singly or in batches: a burst big enough for a queue written
   * offline to go out at once on reconnect, refilled slowly. The frame limit alone would let a
   * batch carry 100 messages per frame.
   */
  messageRate: { perSecond: number; burst: number };
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
  /** SQLite `synchronous`: 'normal' survives a process crash, 'full' also a power loss. */
  sqliteSync: 'normal' | 'full';
  /** Where uploaded media live; undefined means `${dataDir}/media`. */
  mediaDir: string | undefined;
  /** Upload size limits in bytes: images, voice messages, image thumbnails. */
  maxImageBytes: number;
  maxVoiceBytes: number;
  maxThumbBytes: number;
  /** Lifetime of signed media URLs (POST /media/urls), seconds. */
  mediaUrlTtlS: number;
  /** Test-only fault hooks (never in production). */
  testHooks: boolean;
  /** The dev token endpoint for the seeded demo users (never in production). */
  devTokens: boolean;
  /** Seed the demo shop and users into a fresh database. */
  seedDemo: boolean;
  /** Wall clock, injectable for tests. */
  now: () => number;
  /** Where log lines go. */
  log: (line: string) => void;
}

export function defaultConfig(): ServerConfig {
  return {
    dataDir: path.resolve('data'),
    secret: undefined,
    sessionPolicy: 'single',
    allowedOrigins: 'same-origin',
    maxFrameBytes: 64 * 1024,
    rateLimit: { perSecond: 50, burst: 100 },
    messageRate: { perSecond: 20, burst: 2000 },
    idleTimeoutMs: 75_000,
    authTimeoutMs: 10_000,
    pushResendMs: 5_000,
    pushResendLimit: 6,
    pushWindow: 256,
    sqliteSync: 'normal',
    mediaDir: undefined,
    maxImageBytes: 10 * 1024 * 1024,
    maxVoiceBytes: 5 * 1024 * 1024,
    maxThumbBytes: 512 * 1024,
    mediaUrlTtlS: 24 * 60 * 60,
    testHooks: false,
    devTokens: true,
    seedDemo: true,
    now: Date.now,
    log: (line) => console.log(line),
  };
}

/** Read settings from the environment (see README for the list). */
export function configFromEnv(env: NodeJS.ProcessEnv): Partial<ServerConfig> {
  const production = env.NODE_ENV === 'production';
  const cfg: Partial<ServerConfig> = {
    devTokens: !production && env.PARLEY_DEV_TOKENS !== '0',
    testHooks: !production && env.PARLEY_TEST_HOOKS === '1',
    seedDemo: env.PARLEY_SEED_DEMO ? env.PARLEY_SEED_DEMO === '1' : !production,
  };
  if (env.PARLEY_DATA_DIR) cfg.dataDir = path.resolve(env.PARLEY_DATA_DIR);
  if (env.PARLEY_SECRET) cfg.secret = env.PARLEY_SECRET;
  if (env.PARLEY_SESSION_POLICY === 'multi' || env.PARLEY_SESSION_POLICY === 'single') {
    cfg.sessionPolicy = env.PARLEY_SESSION_POLICY;
  }
  if (env.PARLEY_ALLOWED_ORIGINS) {
    cfg.allowedOrigins = env.PARLEY_ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  }
  if (env.PARLEY_SQLITE_SYNC === 'full') cfg.sqliteSync = 'full';
  if (env.PARLEY_MEDIA_DIR) cfg.mediaDir = path.resolve(env.PARLEY_MEDIA_DIR);
  const positive = (value: string | undefined): number | undefined =>
    value && /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : undefined;
  const sizes = {
    maxImageBytes: positive(env.PARLEY_MAX_IMAGE_BYTES),
    maxVoiceBytes: positive(env.PARLEY_MAX_VOICE_BYTES),
    maxThumbBytes: positive(env.PARLEY_MAX_THUMB_BYTES),
    mediaUrlTtlS: positive(env.PARLEY_MEDIA_URL_TTL),
  };
  for (const [name, value] of Object.entries(sizes)) if (value !== undefined) Object.assign(cfg, { [name]: value });
  return cfg;
}
