/**
 * Browser-test plumbing for the wa-sqlite driver: builds the test SharedWorker into
 * dist/parley-test/ (served at /parley-test/ by the e2e server) and talks to it from a page.
 */
import path from 'node:path';
import { test, type BrowserContext, type Page } from '@playwright/test';
import { buildWorker } from '../../scripts/build';
import { startE2EServer, type E2EServer } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Bundle test/e2e/harness/store-driver-worker.ts the way the real worker is bundled (IIFE + .wasm beside it). */
export async function buildStoreDriverWorker(): Promise<void> {
  await buildWorker(
    path.join(ROOT, 'test/e2e/harness/store-driver-worker.ts'),
    path.join(ROOT, 'dist/parley-test/store-driver-worker.js'),
  );
}

/** For a spec file: build the test worker and start one server for all its tests. */
export function useDriverServer(): () => E2EServer {
  let srv: E2EServer | undefined;
  test.beforeAll(async () => {
    await buildStoreDriverWorker();
    srv = await startE2EServer();
  });
  test.afterAll(async () => {
    await srv?.stop();
  });
  return () => {
    if (!srv) throw new Error('the server starts in beforeAll');
    return srv;
  };
}

/** A page connected to the test SharedWorker named `worker`. */
export async function openDriverPage(context: BrowserContext, baseUrl: string, worker = 'store-driver'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/harness/store-driver.html?worker=${encodeURIComponent(worker)}`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return page;
}

export type Reply<T> = { ok: true; value: T } | { ok: false; error: { name: string; message: string; code?: string } };

/** Run `op` in the worker; the reply says whether it failed (errors are values, to assert on). */
export function callWorker<T = unknown>(page: Page, op: string, ...args: unknown[]): Promise<Reply<T>> {
  return page.evaluate(
    ({ op, args }) => (window as unknown as { call: (op: string, ...a: unknown[]) => Promise<Reply<T>> }).call(op, ...args),
    { op, args },
  );
}

/** Run `op` in the worker and return its value; throws with the worker's error otherwise. */
export async function call<T = unknown>(page: Page, op: string, ...args: unknown[]): Promise<T> {
  const reply = await callWorker<T>(page, op, ...args);
  if (!reply.ok) throw new Error(`${op} failed: ${reply.error.name}: ${reply.error.message}`);
  return reply.value;
}
