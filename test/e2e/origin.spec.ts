/**
 * The socket in a real browser: a page of the server's own origin authenticates, a page of a
 * foreign origin is refused at the upgrade (cross-site WebSocket hijacking).
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { test, expect } from '@playwright/test';
import { createParleyServer, type ParleyServer } from '../../server';

let server: ParleyServer;
let foreign: http.Server;
let foreignUrl = '';

test.beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-'));
  server = await createParleyServer({ dataDir, secret: 'e2e-secret-0123456789abcdef0123456789', devTokens: true, seedDemo: true, log: () => {} });
  await server.listen(0);
  foreign = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>elsewhere</p>'));
  await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
  foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`;
});

test.afterAll(async () => {
  await server.close();
  await new Promise((r) => foreign.close(r));
});

/** Runs in the page: open the socket, send an auth frame, report the first frame or the close. */
async function tryAuth(page: import('@playwright/test').Page, wsUrl: string, token: string) {
  return page.evaluate(
    ({ wsUrl, token }) =>
      new Promise<{ first?: string; closeCode?: number }>((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.onopen = () =>
          ws.send(JSON.stringify({ json: { t: 'auth', v: 1, token, deviceId: 'browser-1' } }));
        ws.onmessage = (e) => resolve({ first: String(e.data) });
        ws.onclose = (e) => resolve({ closeCode: e.code });
      }),
    { wsUrl, token },
  );
}

test('a page of the server origin authenticates over the socket', async ({ page, request }) => {
  const { token } = await (await request.get(`${server.url}/dev/token?user=alice`)).json();
  await page.goto(`${server.url}/healthz`);
  const result = await tryAuth(page, server.wsUrl, token);
  expect(result.first).toContain('"t":"auth_ok"');
  expect(result.first).toContain('"userId":"alice"');
});

test('a page of a foreign origin is refused at the upgrade', async ({ page, request }) => {
  const { token } = await (await request.get(`${server.url}/dev/token?user=alice`)).json();
  await page.goto(foreignUrl);
  const result = await tryAuth(page, server.wsUrl, token);
  expect(result.first).toBeUndefined();
  expect(result.closeCode).toBe(1006);
});
