/**
 * A real server for browser tests, in the test process: the built bundles at /parley/, the
 * harness page at /harness/, test hooks on. `restart()` brings it back on the same port and data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { createParleyServer, type ParleyServer, type ServerConfig } from '../../server';
import { appFiles } from '../../server/http/appFiles';
import { staticFiles } from '../../server/http/static';
import { metricValue } from '../support/fixtures';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const E2E_SECRET = 'e2e-secret-0123456789abcdef0123456789';

export interface E2EServer {
  server: ParleyServer;
  port: number;
  url: string;
  restart(): Promise<void>;
  /** Stop accepting anything (the server is down) until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
  /** Value of a metric on /metrics; `labels` as rendered, e.g. 'result="stored"'. */
  metric(name: string, labels?: string): Promise<number>;
}

export async function startE2EServer(overrides: Partial<ServerConfig> = {}): Promise<E2EServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-'));
  // What `npm start` serves (bundles under /parley/, the demo and its service worker), plus test pages.
  const app = appFiles(path.join(ROOT, 'dist'));
  const harness = staticFiles('/harness/', path.join(ROOT, 'test/e2e/harness'));
  // Test-only bundles (store-driver-worker.js), built by the specs that use them.
  const testBundles = staticFiles('/parley-test/', path.join(ROOT, 'dist/parley-test'));
  const make = () =>
    createParleyServer(
      { dataDir, secret: E2E_SECRET, testHooks: true, sessionPolicy: 'single', log: () => {}, ...overrides },
      (req, res) => app(req, res) || harness(req, res) || testBundles(req, res),
    );
  let server = await make();
  let running = true;
  const { port } = await server.listen(0);
  const e2e: E2EServer = {
    get server() {
      return server;
    },
    port,
    url: `http://127.0.0.1:${port}`,
    async restart() {
      await server.close();
      server = await make();
      await server.listen(port);
    },
    async down() {
      running = false;
      await server.close();
    },
    async up() {
      server = await make();
      await server.listen(port);
      running = true;
    },
    async stop() {
      if (running) await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async metric(name, labels) {
      return metricValue(await (await fetch(`${e2e.url}/metrics`)).text(), name, labels) ?? NaN;
    },
  };
  return e2e;
}

/** Open the harness as `user` and wait until its client exists. */
export async function openTab(context: BrowserContext, baseUrl: string, query: Record<string, string | number> = {}): Promise<Page> {
  const page = await context.newPage();
  const qs = new URLSearchParams(Object.entries({ as: 'alice', ...query }).map(([k, v]) => [k, String(v)]));
  await page.goto(`${baseUrl}/harness/?${qs}`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return page;
}

/** Wait until the tab's connection is in this status. */
export async function waitForStatus(page: Page, status: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction((s) => (window as unknown as { client: { state: { status: string } } }).client.state.status === s, status, { timeout });
}

/** The tab's state snapshot. */
export function stateOf(page: Page): Promise<{ status: string; [k: string]: unknown }> {
  return page.evaluate(() => (window as unknown as { client: { state: { status: string } } }).client.state);
}
