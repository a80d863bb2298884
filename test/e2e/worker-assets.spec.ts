/**
 * A hand-served copy of the engine: `workerUrl` names a worker script in a directory without the
 * .wasm files, and `wasmBaseUrl` says where they are (a CDN in practice). The worker must load
 * them from there: beside the script they are not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { openTab, startE2EServer, waitForStatus, type E2EServer } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '../..');
let srv: E2EServer;
test.beforeAll(() => {
  // Only the script: no .wasm beside it.
  const dir = path.join(ROOT, 'dist/parley-test/worker-only');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/parley/parley-worker.js'), path.join(dir, 'parley-worker.js'));
  expect(fs.existsSync(path.join(dir, 'wa-sqlite-jspi.wasm'))).toBe(false);
});
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

test('workerUrl with wasmBaseUrl: the engine loads its .wasm from the given directory, and works', async ({ browser }) => {
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url, { worker: '/parley-test/worker-only/parley-worker.js', wasm: '/parley/' });
  await waitForStatus(tab, 'online');
  const stored = await tab.evaluate(async () => {
    const client = (window as unknown as { client: any }).client;
    const { conversation } = await client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    await client.send(conversation.id, { type: 'text', text: 'from a hand-served engine' });
    const diagnostics = await client.diagnostics();
    return diagnostics.conversations.length;
  });
  expect(stored).toBe(1);
  await context.close();
});
