/**
 * The benchmarks' surroundings: a real server on loopback per benchmark that asks for one (the
 * built bundles, the demo and the bench pages under /bench/), and one headless Chromium shared by
 * all, launched on first use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { createParleyServer, signToken, type ParleyServer, type ServerConfig } from '../../server';
import { appFiles } from '../../server/http/appFiles';
import { staticFiles } from '../../server/http/static';
import { CHROMIUM_LAUNCH } from '../../scripts/chromium';
import type { BenchEnv, BenchServer } from './types';
import { metricValue } from '../../test/support/fixtures';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'bench-secret-0123456789abcdef0123456789';

async function startBenchServer(overrides: Partial<ServerConfig> = {}): Promise<BenchServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  const app = appFiles(path.join(ROOT, 'dist'));
  const bench = staticFiles('/bench/', path.join(ROOT, 'dist/bench'));
  const make = () =>
    createParleyServer(
      // Benchmarks measure the server, not its guard rails: no rate limit, one session per device.
      { dataDir, secret: SECRET, testHooks: true, log: () => {}, rateLimit: { perSecond: 1e9, burst: 1e9 }, messageRate: { perSecond: 1e9, burst: 1e9 }, ...overrides },
      (req, res) => app(req, res) || bench(req, res),
    );
  let server: ParleyServer = await make();
  let running = true;
  const { port } = await server.listen(0);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    dataDir,
    token: (userId, opts = {}) =>
      signToken(SECRET, {
        sub: userId,
        role: (opts.role ?? 'customer') as 'customer',
        exp: Math.floor(Date.now() / 1000) + 3600,
        ...(opts.shop ? { shop: opts.shop } : {}),
      }),
    async down() {
      running = false;
      await server.close();
    },
    async up() {
      server = await make();
      await server.listen(port);
      running = true;
    },
    async metric(name, labels) {
      return metricValue(await (await fetch(`${url}/metrics`)).text(), name, labels) ?? NaN;
    },
    async stop() {
      if (running) await server.close();
      running = false;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
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
