/**
 * Real Parley servers for integration tests: in-process on loopback (`startServer`), or as a child
 * process that can be killed with SIGKILL (`spawnServer`). Each owns a fresh temp data dir unless
 * one is given, and tracks the clients it opened so `stop()` leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParleyServer, signToken, type ServerConfig } from '../../server';
import type { AuthOkFrame, Role } from '../../schema';
import { databaseUrl, dropSchema, redisUrl } from './services';
import { connectClient, type ConnectOptions, type WireClient } from './wireClient';

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type ParleyServer = Awaited<ReturnType<typeof createParleyServer>>;

export interface TokenOptions {
  role?: Role;
  /** The merchant's shop. */
  shop?: string;
  name?: string;
  /** Expiry in seconds since the epoch (default: an hour from now). */
  exp?: number;
  /** Sign with this instead of the server's secret (a forged token). */
  secret?: string;
}

export type LoginOptions = TokenOptions & Partial<Omit<ConnectOptions, 'token'>>;

/** A client that authenticated; `auth` is its auth_ok frame. */
export type LoggedIn = WireClient & { userId: string; auth: AuthOkFrame };

export interface TestServer {
  server: ParleyServer;
  dataDir: string;
  port: number;
  url: string;
  wsUrl: string;
  token(userId: string, opts?: TokenOptions): string;
  /** Open a socket (tracked, closed by stop()). */
  connect(opts: ConnectOptions): WireClient;
  /** Open a socket as `userId` and await auth_ok (throws on auth_failed). */
  login(userId: string, opts?: LoginOptions): Promise<LoggedIn>;
  /** Close tracked clients and the server; remove the data dir if this helper created it. */
  stop(opts?: { keepDataDir?: boolean }): Promise<void>;
}

export function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'parley-test-'));
}

export function makeToken(secret: string, userId: string, opts: TokenOptions = {}): string {
  const role = opts.role ?? 'customer';
  return signToken(opts.secret ?? secret, {
    sub: userId,
    role,
    ...(opts.shop !== undefined ? { shop: opts.shop } : {}),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    exp: opts.exp ?? Math.floor(Date.now() / 1000) + 3600,
  });
}

/** Connect-and-authenticate against any server URL (in-process or spawned). */
export async function loginTo(
  wsUrl: string,
  secret: string,
  userId: string,
  opts: LoginOptions,
  track?: (c: WireClient) => void,
): Promise<LoggedIn> {
  const client = connectClient(wsUrl, {
    token: makeToken(secret, userId, opts),
    deviceId: opts.deviceId ?? `dev-${userId}`,
    ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
    ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
    ...(opts.v !== undefined ? { v: opts.v } : {}),
    ...(opts.autoAck !== undefined ? { autoAck: opts.autoAck } : {}),
    ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
    ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
  });
  track?.(client);
  const auth = await client.authResult;
  if (auth.t !== 'auth_ok') throw new Error(`login as ${userId} failed: ${auth.code}: ${auth.message}`);
  return Object.assign(client, { userId, auth });
}

const quietLog = process.env.PARLEY_TEST_LOG === '1' ? (line: string) => console.log(line) : () => {};

/** The suites run on the test PostgreSQL and Redis (PARLEY_TEST_STORE=postgres), not on SQLite. */
export const onPostgres = process.env.PARLEY_TEST_STORE === 'postgres';

/**
 * With PARLEY_TEST_STORE=postgres, servers that name no database run on the test PostgreSQL (each
 * on a fresh schema, dropped at stop) and Redis: the same suites then check the cluster backends.
 */
function clusterBackends(dataDir: string, overrides: Partial<ServerConfig>): { config: Partial<ServerConfig>; drop: () => Promise<void> } {
  if (!onPostgres || overrides.databaseUrl !== undefined || !databaseUrl) return { config: {}, drop: async () => {} };
  // One schema per data dir: a server restarted on the same dir finds its database again.
  const schema = `t_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  return { config: { databaseUrl, databaseSchema: schema, redisUrl, streamCheckMs: 200 }, drop: () => dropSchema(schema) };
}

export async function startServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const ownsDir = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? (await makeTempDir());
  const secret = overrides.secret ?? TEST_SECRET;
  const backends = clusterBackends(dataDir, overrides);
  const server = await createParleyServer({
    dataDir,
    secret,
    testHooks: true,
    // The demo shop and users, as under `npm start`; suites that need none make their own.
    seedDemo: true,
    log: quietLog,
    ...backends.config,
    ...overrides,
  });
  const { port } = await server.listen(0);
  const url = `http://127.0.0.1:${port}`;
  const wsUrl = `ws://127.0.0.1:${port}/ws`;
  const clients = new Set<WireClient>();
  const track = (c: WireClient) => {
    clients.add(c);
    void c.closed.then(() => clients.delete(c));
  };

  return {
    server,
    dataDir,
    port,
    url,
    wsUrl,
    token: (userId, opts) => makeToken(secret, userId, opts),
    connect(opts) {
      const c = connectClient(wsUrl, opts);
      track(c);
      return c;
    },
    login: (userId, opts = {}) => loginTo(wsUrl, secret, userId, opts, track),
    async stop({ keepDataDir = false } = {}) {
      await Promise.all([...clients].map((c) => c.terminate()));
      await server.close();
      if (ownsDir && !keepDataDir) await backends.drop();
      if (ownsDir && !keepDataDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedServer {
  port: number;
  url: string;
  wsUrl: string;
  child: ChildProcess;
  /** Everything the child printed, for failure messages. */
  output(): string;
  /** SIGKILL, resolving once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, resolving once the process is gone. */
  stop(): Promise<void>;
}

const spawned = new Set<ChildProcess>();

/** Kill any child servers still running (for afterEach/afterAll when a test failed midway). */
export async function killSpawned(): Promise<void> {
  await Promise.all([...spawned].map((c) => killAndWait(c, 'SIGKILL')));
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * Start `node --import tsx server/main.ts` on a random port. Resolves when it prints its
 * http://127.0.0.1:<port> line; rejects if it exits first or prints nothing within `readyMs`.
 */
export function spawnServer(dataDir: string, env: NodeJS.ProcessEnv = {}, readyMs = 15_000): Promise<SpawnedServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: '0',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_SECRET: TEST_SECRET,
      // Dev mode for the demo shop and users (the test's NODE_ENV would refuse it).
      PARLEY_DEV: '1',
      NODE_ENV: 'test',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  let out = '';
  const output = () => out;

  return new Promise<SpawnedServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void killAndWait(child, 'SIGKILL');
      reject(new Error(`server did not print its address within ${readyMs} ms; output:\n${out}`));
    }, readyMs);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}, signal ${signal}) before it was ready; output:\n${out}`));
    };
    child.once('exit', onExit);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      const port = Number(m[1]);
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}/ws`,
        child,
        output,
        kill9: () => killAndWait(child, 'SIGKILL'),
        stop: () => killAndWait(child, 'SIGTERM'),
      });
    });
  });
}
