/**
 * The benchmarks' surroundings: a real server on loopback per benchmark that asks for one (the
 * built bundles, the demo and the bench pages under /bench/), and one headless Chromium shared by
 * all, launched on first use.
 */
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { signToken, type ServerConfig } from '../../server';
import { appFiles } from '../../server/http/appFiles';
import { staticFiles } from '../../server/http/static';
import { CHROMIUM_LAUNCH } from '../../scripts/chromium';
import type { BenchEnv, BenchServer } from './types';
import { startRestartableServer } from '../../test/support/restartableServer';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'bench-secret-0123456789abcdef0123456789';

async function startBenchServer(overrides: Partial<ServerConfig> = {}): Promise<BenchServer> {
  const app = appFiles(path.join(ROOT, 'dist'));
  const bench = staticFiles('/bench/', path.join(ROOT, 'dist/bench'));
  const s = await startRestartableServer(
    // Benchmarks measure the server, not its guard rails: no rate limits.
    { secret: SECRET, testHooks: true, devTokens: true, seedDemo: true, log: () => {}, rateLimit: { perSecond: 1e9, burst: 1e9 }, messageRate: { perSecond: 1e9, burst: 1e9 }, ...overrides },
    (req, res) => app(req, res) || bench(req, res),
    'parley-bench-',
  );
  return {
    url: s.url,
    wsUrl: `ws://127.0.0.1:${s.port}/ws`,
    dataDir: s.dataDir,
    token: (userId, opts = {}) =>
      signToken(SECRET, {
        sub: userId,
        role: (opts.role ?? 'customer') as 'customer',
        exp: Math.floor(Date.now() / 1000) + 3600,
        ...(opts.shop ? { shop: opts.shop } : {}),
      }),
    down: () => s.down(),
    up: () => s.up(),
    metric: (name, labels) => s.metric(name, labels),
    stop: () => s.stop(),
  };
}

export function createEnv(opts: { quick: boolean; log: (m: string) => void }): BenchEnv & { close(): Promise<void>; browserVersion(): Promise<string | null> } {
  let browser: Promise<Browser> | null = null;
  const env = {
    quick: opts.quick,
    runs: opts.quick ? 1 : 5,
    warmups: opts.quick ? 0 : 1,
    size: (full: number, small: number) => (opts.quick ? small : full),
    startServer: startBenchServer,
    browser: () => (browser ??= chromium.launch({ ...CHROMIUM_LAUNCH, headless: true })),
    newContext: async () => (await env.browser()).newContext(),
    log: opts.log,
    /** The browser's version, if one was launched. */
    async browserVersion(): Promise<string | null> {
      return browser ? `Chromium ${(await browser).version()}` : null;
    },
    async close() {
      if (browser) await (await browser).close();
    },
  };
  return env;
}
