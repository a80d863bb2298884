/**
 * Parley mounted into a host's own server (createParley): its routes and /ws are Parley's, every
 * other path and upgrade stays the host's, and closing Parley leaves the host's server running.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createParley, type Parley } from '../../server';
import { loginTo, makeTempDir, TEST_SECRET } from '../support/server';
import { messagePush } from '../support/wireClient';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function parley(): Promise<Parley> {
  const p = await createParley({ dataDir: await makeTempDir(), secret: TEST_SECRET, seedDemo: true, log: () => {} });
  cleanups.push(() => p.close());
  return p;
}

/** The host's own upgrade path, as a dev server's hot reload would have. */
function hostSocketEcho(server: http.Server): void {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/hmr') return;
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data) => ws.send(`host:${String(data)}`)));
  });
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
}

function echoOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send('ping'));
    ws.on('message', (data) => {
      resolve(String(data));
      ws.close();
    });
    ws.on('error', reject);
  });
}

/** A message sent by one user and pushed to the other, both over the host's port. */
async function exchange(address: string): Promise<void> {
  const wsUrl = `ws://${address}/ws`;
  const alice = await loginTo(wsUrl, TEST_SECRET, 'alice', { role: 'customer' });
  const agent = await loginTo(wsUrl, TEST_SECRET, 'shop-agent', { role: 'merchant', shop: 'parley-shop' });
  cleanups.push(() => void alice.close(), () => void agent.close());
  const { conversation } = await alice.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
  const clientId = randomUUID();
  const sent = await alice.request('messages.send', { conversationId: conversation.id, clientId, content: { type: 'text', text: 'over the host' } });
  expect(sent.ok).toBe(true);
  const push = await agent.nextFrame(messagePush(clientId));
  expect(push.event.kind === 'message' && push.event.message.content).toEqual({ type: 'text', text: 'over the host' });
}

describe('createParley on a host server', () => {
  it('a plain http server: Parley answers its routes and /ws, the host the rest (its own upgrades too)', async () => {
    const p = await parley();
    const host = http.createServer((req, res) => {
      void p.handleRequest(req, res).then((handled) => {
        if (!handled) res.writeHead(200, { 'content-type': 'text/plain' }).end('the shop');
      });
    });
    hostSocketEcho(host);
    const detach = p.attach(host);
    const address = await listen(host);

    const health = await fetch(`http://${address}/healthz`);
    expect(health.status).toBe(200);
    expect(await fetch(`http://${address}/cart`).then((r) => r.text())).toBe('the shop');
    expect(await echoOnce(`ws://${address}/hmr`)).toBe('host:ping');
    await exchange(address);

    const before = host.listenerCount('upgrade');
    detach();
    expect(host.listenerCount('upgrade')).toBe(before - 1);
  });

  it('Express: the middleware serves Parley first and passes everything else on', async () => {
    const p = await parley();
    const app = express();
    app.use(p.middleware());
    app.get('/cart', (_req, res) => void res.send('the cart'));
    const host = http.createServer(app);
    p.attach(host);
    const address = await listen(host);

    expect((await fetch(`http://${address}/healthz`)).status).toBe(200);
    expect(await fetch(`http://${address}/cart`).then((r) => r.text())).toBe('the cart');
    // Parley's routes answer for themselves, not Express's 404.
    expect(await fetch(`http://${address}/metrics`).then((r) => r.text())).toContain('parley_ws_connections');
    expect((await fetch(`http://${address}/nothing`)).status).toBe(404);
    await exchange(address);
  });

  it('close() shuts Parley down and leaves the host serving', async () => {
    const dataDir = await makeTempDir();
    const p = await createParley({ dataDir, secret: TEST_SECRET, log: () => {} });
    const host = http.createServer((req, res) => {
      void p.handleRequest(req, res).then((handled) => {
        if (!handled) res.end('still here');
      });
    });
    p.attach(host);
    const address = await listen(host);
    const alice = await loginTo(`ws://${address}/ws`, TEST_SECRET, 'alice', { role: 'customer' });

    await p.close();
    const closed = await alice.closed;
    expect(closed.code).toBe(4005);
    expect(await fetch(`http://${address}/anything`).then((r) => r.text())).toBe('still here');
  });
});
