/**
 * Limits that do not reset: per IP before auth (sockets waiting to authenticate, auth attempts),
 * HTTP time bounds, and who may read /metrics. Clients here come through a trusted proxy, so each
 * can claim its own address (X-Forwarded-For); loopback itself is exempt from per-IP limits.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../schema';
import { metricsDenied } from '../../server/http/routes';
import { metricValue, uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});

const from = (ip: string) => ({ headers: { 'x-forwarded-for': `198.51.100.99, ${ip}` } });
const metric = async (s: TestServer, name: string) => metricValue(await (await fetch(`${s.url}/metrics`)).text(), name);

describe('per IP, before auth', () => {
  it('refuses more sockets waiting to authenticate from one IP (429), counts them, and lets others in', async () => {
    srv = await startServer({ trustProxy: true, maxUnauthenticatedPerIp: 3 });
    const s = srv;
    const waiting = [1, 2, 3].map(() => s.connect({ token: 'x', deviceId: 'd', sendAuth: false, ...from('203.0.113.7') }));
    await Promise.all(waiting.map((c) => c.opened));
    expect(await metric(s, 'parley_ws_unauthenticated')).toBe(3);
    const fourth = s.connect({ token: 'x', deviceId: 'd', sendAuth: false, ...from('203.0.113.7') });
    await expect(fourth.opened).rejects.toThrow(/429/);
    expect(metricValue(await (await fetch(`${s.url}/metrics`)).text(), 'parley_ws_refused_total', 'reason="too_many_unauthenticated"')).toBe(1);
    // Another address is not held back, and one that authenticates frees its place.
    await s.login(uid('u'), from('203.0.113.8'));
    await s.login(uid('u'), from('203.0.113.7')).catch(() => {}); // refused too: 3 still wait
    await waiting[0]!.close();
    await expect.poll(() => metric(s, 'parley_ws_unauthenticated')).toBe(2);
    await s.login(uid('u'), from('203.0.113.7'));
  });

  it('closes (1008) auth attempts from one IP past its rate, whatever the tokens', async () => {
    srv = await startServer({ trustProxy: true, authRate: { perSecond: 0.001, burst: 3 } });
    const s = srv;
    for (let i = 0; i < 3; i++) await s.login(uid('u'), from('203.0.113.9'));
    const fourth = s.connect({ token: s.token(uid('u')), deviceId: 'd', ...from('203.0.113.9') });
    expect((await fourth.closed).code).toBe(CloseCode.POLICY);
    await s.login(uid('u'), from('203.0.113.10'));
  });

  it('does not apply to loopback, where a local proxy that passes no address would put every client', async () => {
    srv = await startServer({ authRate: { perSecond: 0.001, burst: 1 }, maxUnauthenticatedPerIp: 1 });
    const s = srv;
    for (let i = 0; i < 5; i++) await s.login(uid('u'));
  });
});

describe('HTTP time bounds', () => {
  /** A raw socket that `talk`s, resolving when the server closes it. */
  const rawUntilClosed = (port: number, talk: (s: net.Socket) => void) =>
    new Promise<void>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => talk(sock));
      sock.on('data', () => {});
      sock.on('error', () => {});
      sock.on('close', () => resolve());
    });

  it('closes a socket that trickles its headers past the header deadline', async () => {
    srv = await startServer({ httpTimeouts: { headers: 300, request: 600, idle: 10_000, keepAlive: 100 } });
    let trickle: NodeJS.Timeout | undefined;
    // A byte every 50 ms keeps the socket from ever going idle: only the header deadline ends it.
    await rawUntilClosed(srv.port, (s) => {
      s.write('GET /healthz HTTP/1.1\r\n');
      trickle = setInterval(() => s.write('X'), 50);
    });
    clearInterval(trickle);
  });

  it('closes an upload that goes silent mid-body', async () => {
    srv = await startServer({ httpTimeouts: { headers: 300, request: 10_000, idle: 300, keepAlive: 100 } });
    await rawUntilClosed(srv.port, (s) => s.write('POST /media?conversationId=c&kind=image HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc'));
  });

  it('leaves an authenticated WebSocket alone: it outlives an HTTP socket idle for less time', async () => {
    srv = await startServer({ httpTimeouts: { headers: 300, request: 300, idle: 300, keepAlive: 100 } });
    const c = await srv.login(uid('u'));
    // Opened after the WebSocket went quiet, closed by the idle bound: the WebSocket was idle longer.
    await rawUntilClosed(srv.port, () => {});
    expect(c.closeInfo).toBeNull();
    await c.ping();
  });
});

describe('GET /metrics', () => {
  it('is restricted to a bearer token when configured', async () => {
    srv = await startServer({ metricsAccess: { kind: 'token', token: 'metrics-token-0123456789' } });
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(403);
    expect((await fetch(`${srv.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).status).toBe(200);
  });

  it('is restricted to loopback callers when configured', async () => {
    const req = (remoteAddress: string) => ({ socket: { remoteAddress } as net.Socket, headers: {} });
    const loopback = { kind: 'loopback' } as const;
    expect(metricsDenied(req('127.0.0.1'), loopback)).toBeNull();
    expect(metricsDenied(req('::1'), loopback)).toBeNull();
    expect(metricsDenied(req('::ffff:127.0.0.1'), loopback)).toBeNull();
    expect(metricsDenied(req('203.0.113.5'), loopback)).toBe(403);
    expect(metricsDenied(req('203.0.113.5'), { kind: 'open' })).toBeNull();
    srv = await startServer({ metricsAccess: loopback });
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(200);
  });
});
