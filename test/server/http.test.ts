/** The HTTP side: health, metrics, the dev token endpoint and the Origin check at upgrade. */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, sendText, setupGroup, uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(() => srv?.stop());

const metrics = async (s: TestServer) => {
  const res = await fetch(`${s.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};

/**
 * Re-read a metric until it has the expected value. The server notices a closed socket on its own
 * schedule, so there is no event to wait for; the timeout is only a failure bound.
 */
async function metricBecomes(s: TestServer, name: string, expected: number, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: number | undefined;
  while (Date.now() < deadline) {
    last = metricValue(await metrics(s), name);
    if (last === expected) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${name} stayed at ${last}, expected ${expected}`);
}

describe('GET /healthz', () => {
  it('reports ok as JSON', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('exposes its address on the server object', () => {
    expect(srv.server.url).toBe(srv.url);
    expect(srv.server.wsUrl).toBe(srv.wsUrl);
  });
});

describe('GET /metrics', () => {
  let fresh: TestServer;
  beforeAll(async () => {
    fresh = await startServer();
  });
  afterAll(() => fresh?.stop());

  it('declares its series in the Prometheus text format', async () => {
    const text = await metrics(fresh);
    expect(text).toContain('# TYPE parley_ws_connections gauge');
    expect(text).toContain('# TYPE parley_messages_stored_total counter');
  });

  it('counts open authenticated sockets, not unauthenticated ones', async () => {
    expect(metricValue(await metrics(fresh), 'parley_ws_connections')).toBe(0);
    const a = await fresh.login(uid('a'));
    await fresh.login(uid('b'));
    const anonymous = fresh.connect({ token: '', deviceId: 'x', sendAuth: false });
    await anonymous.opened;
    expect(metricValue(await metrics(fresh), 'parley_ws_connections')).toBe(2);

    await a.close();
    await metricBecomes(fresh, 'parley_ws_connections', 1);
    // A kicked socket is no longer counted either; its replacement is.
    const user = uid('k');
    await fresh.login(user, { deviceId: 'one' });
    await fresh.login(user, { deviceId: 'two' });
    await metricBecomes(fresh, 'parley_ws_connections', 2);
  });

  it('counts stored messages, but not duplicates or refused sends', async () => {
    const before = metricValue(await metrics(fresh), 'parley_messages_stored_total') ?? 0;
    const { owner, conversation } = await setupGroup(fresh, [{}]);
    const m = await sendText(owner, conversation.id, 'counted');
    expect(metricValue(await metrics(fresh), 'parley_messages_stored_total')).toBe(before + 1);

    await sendText(owner, conversation.id, 'counted', m.id); // a retry
    const outsider = await fresh.login(uid('o'));
    await outsider.request('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content: { type: 'text', text: 'no' } });
    expect(metricValue(await metrics(fresh), 'parley_messages_stored_total')).toBe(before + 1);
  });
});

describe('GET /dev/token', () => {
  it('issues a working token for a seeded user when devTokens is on', async () => {
    const dev = await startServer({ devTokens: true });
    try {
      const res = await fetch(`${dev.url}/dev/token?user=alice`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { token: string; userId: string; expiresAt: number };
      expect(body.userId).toBe('alice');
      expect(body.expiresAt).toBeGreaterThan(Date.now());
      const c = dev.connect({ token: body.token, deviceId: 'demo' });
      expect(await c.authResult).toMatchObject({ t: 'auth_ok', userId: 'alice', role: 'customer' });

      const agent = (await (await fetch(`${dev.url}/dev/token?user=shop-agent`)).json()) as { token: string };
      const a = dev.connect({ token: agent.token, deviceId: 'demo' });
      expect(await a.authResult).toMatchObject({ t: 'auth_ok', role: 'merchant', shopId: 'parley-shop' });

      const unknown = await fetch(`${dev.url}/dev/token?user=${uid('nobody')}`);
      expect(unknown.status).toBeGreaterThanOrEqual(400);
    } finally {
      await dev.stop();
    }
  });

  it('does not exist when devTokens is off', async () => {
    const prod = await startServer({ devTokens: false });
    try {
      const res = await fetch(`${prod.url}/dev/token?user=alice`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toMatch(/token/i);
    } finally {
      await prod.stop();
    }
  });
});

describe('GET /dev/key', () => {
  it("hands out a stable 256-bit key per demo user in dev mode, and nothing otherwise", async () => {
    const dev = await startServer({ devTokens: true });
    const prod = await startServer({ devTokens: false });
    try {
      const key = async (user: string) => ((await (await fetch(`${dev.url}/dev/key?user=${user}`)).json()) as { key: string }).key;
      const alice = await key('alice');
      expect(alice).toMatch(/^[0-9a-f]{64}$/);
      expect(await key('alice')).toBe(alice);
      expect(await key('bob')).not.toBe(alice);
      expect((await fetch(`${dev.url}/dev/key?user=${uid('nobody')}`)).status).toBe(404);
      expect((await fetch(`${prod.url}/dev/key?user=alice`)).status).toBe(404);
    } finally {
      await dev.stop();
      await prod.stop();
    }
  });
});

describe('Origin check at upgrade', () => {
  /** The HTTP status of a raw upgrade request (101 when accepted). */
  function upgradeStatus(s: TestServer, origin?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${s.url}/ws`, {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': Buffer.from(uid('k').padEnd(16, 'x').slice(0, 16)).toString('base64'),
          ...(origin ? { Origin: origin } : {}),
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it("refuses a foreign Origin under 'same-origin' and accepts its own and none", async () => {
    expect(await upgradeStatus(srv, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(srv, srv.url)).toBe(101);
    expect(await upgradeStatus(srv)).toBe(101);

    const refused = srv.connect({ token: srv.token('alice'), deviceId: 'd', origin: 'https://evil.example' });
    await expect(refused.opened).rejects.toThrow(/403/);
    const same = srv.connect({ token: srv.token(uid('u')), deviceId: 'd', origin: srv.url });
    expect((await same.authResult).t).toBe('auth_ok');
  });

  it('accepts exactly the listed origins when given a list', async () => {
    const listed = await startServer({ allowedOrigins: ['https://shop.example'] });
    try {
      expect(await upgradeStatus(listed, 'https://shop.example')).toBe(101);
      expect(await upgradeStatus(listed, 'https://evil.example')).toBe(403);
      expect(await upgradeStatus(listed, 'https://shop.example.evil.example')).toBe(403);
      expect(await upgradeStatus(listed, 'http://shop.example')).toBe(403);
      const c = listed.connect({ token: listed.token(uid('u')), deviceId: 'd', origin: 'https://shop.example' });
      expect((await c.authResult).t).toBe('auth_ok');
    } finally {
      await listed.stop();
    }
  });
});
