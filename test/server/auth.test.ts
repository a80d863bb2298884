/** Authentication: the first frame, token checks, protocol versions and the auth deadline. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../../schema';
import { CLOCK_SKEW_S } from '../../server';
import { uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';
import { frameOf, type WireClient } from '../support/wireClient';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(() => srv?.stop());

/** auth_failed with `code`, then the close with CloseCode.AUTH_FAILED, in that order. */
async function expectAuthFailure(c: WireClient, code: ErrorCode): Promise<void> {
  const result = await c.authResult;
  expect(result).toMatchObject({ t: 'auth_failed', code });
  const closed = await c.closed;
  expect(closed.code).toBe(CloseCode.AUTH_FAILED);
  expect(c.frames.at(-1)?.t).toBe('auth_failed');
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('auth', () => {
  it('accepts a valid token and describes the session', async () => {
    const c = srv.connect({ token: srv.token('alice'), deviceId: 'alice-laptop' });
    const auth = await c.authResult;
    expect(auth).toMatchObject({
      t: 'auth_ok',
      userId: 'alice',
      role: 'customer',
      shopId: null,
      deviceId: 'alice-laptop',
      ackedCursor: 0,
      limits: { maxFrameBytes: 64 * 1024 },
    });
    // An authenticated socket answers requests.
    expect(await c.call('conversations.list', { limit: 10, offset: 0 })).toMatchObject({ total: expect.any(Number) });
  });

  it("upserts an unknown user from the token's claims, merchants with their shop", async () => {
    const agentId = uid('agent');
    const c = srv.connect({
      token: srv.token(agentId, { role: 'merchant', shop: 'parley-shop', name: 'Agent Smith' }),
      deviceId: 'desk',
    });
    expect(await c.authResult).toMatchObject({
      t: 'auth_ok',
      userId: agentId,
      role: 'merchant',
      shopId: 'parley-shop',
      displayName: 'Agent Smith',
    });
  });

  it('refuses a token signed with another secret (TOKEN_INVALID)', async () => {
    const c = srv.connect({
      token: srv.token('alice', { secret: 'some-other-secret-0123456789abcdef0123' }),
      deviceId: 'd1',
    });
    await expectAuthFailure(c, ErrorCode.TOKEN_INVALID);
  });

  it('refuses claims altered after signing (TOKEN_INVALID)', async () => {
    const [header, , sig] = srv.token('alice').split('.');
    const forgedBody = Buffer.from(JSON.stringify({ sub: 'shop-agent', role: 'merchant', shop: 'parley-shop', exp: inAnHour() })).toString('base64url');
    const c = srv.connect({ token: `${header}.${forgedBody}.${sig}`, deviceId: 'd1' });
    await expectAuthFailure(c, ErrorCode.TOKEN_INVALID);
  });

  it.each([
    ['a character base64url decoding skips', (sig: string) => `${sig}!`],
    ['padding', (sig: string) => `${sig}=`],
    ['a stray dash inside', (sig: string) => `${sig.slice(0, 10)}*${sig.slice(10)}`],
  ])('refuses a valid signature with %s added (TOKEN_INVALID): only the canonical encoding verifies', async (_label, spoil) => {
    const [header, body, sig] = srv.token('alice').split('.');
    const c = srv.connect({ token: `${header}.${body}.${spoil(sig!)}`, deviceId: 'd1' });
    await expectAuthFailure(c, ErrorCode.TOKEN_INVALID);
  });

  it('refuses a token that is not a token at all (TOKEN_INVALID)', async () => {
    await expectAuthFailure(srv.connect({ token: 'not-a-token', deviceId: 'd1' }), ErrorCode.TOKEN_INVALID);
  });

  it('refuses a merchant token that names no shop (TOKEN_INVALID)', async () => {
    const c = srv.connect({ token: srv.token(uid('agent'), { role: 'merchant' }), deviceId: 'd1' });
    await expectAuthFailure(c, ErrorCode.TOKEN_INVALID);
  });

  it('reports an expired token as TOKEN_EXPIRED, distinct from TOKEN_INVALID', async () => {
    const exp = Math.floor(Date.now() / 1000) - CLOCK_SKEW_S - 60;
    await expectAuthFailure(srv.connect({ token: srv.token('alice', { exp }), deviceId: 'd1' }), ErrorCode.TOKEN_EXPIRED);
  });

  it('checks the signature before the expiry: a forged expired token is TOKEN_INVALID', async () => {
    const exp = Math.floor(Date.now() / 1000) - CLOCK_SKEW_S - 60;
    const token = srv.token('alice', { exp, secret: 'some-other-secret-0123456789abcdef0123' });
    await expectAuthFailure(srv.connect({ token, deviceId: 'd1' }), ErrorCode.TOKEN_INVALID);
  });

  it('answers an unknown protocol version with UNSUPPORTED_VERSION and the versions it speaks', async () => {
    const c = srv.connect({ token: srv.token('alice'), deviceId: 'd1', v: 99 });
    const result = await c.authResult;
    expect(result).toMatchObject({ t: 'auth_failed', code: ErrorCode.UNSUPPORTED_VERSION });
    expect(result.t === 'auth_failed' && result.supportedVersions).toContain(1);
    expect((await c.closed).code).toBe(CloseCode.AUTH_FAILED);
  });

  it('requires auth as the first frame (AUTH_REQUIRED) and runs nothing sent before it', async () => {
    const c = srv.connect({ token: '', deviceId: 'd1', sendAuth: false });
    c.send({ t: 'req', id: 'early1', type: 'conversations.list', params: { limit: 10, offset: 0 } });
    await expectAuthFailure(c, ErrorCode.AUTH_REQUIRED);
    expect(c.frames.some((f) => f.t === 'res')).toBe(false);
  });

  it('treats a non-auth ping as the first frame as AUTH_REQUIRED', async () => {
    const c = srv.connect({ token: '', deviceId: 'd1', sendAuth: false });
    c.send({ t: 'ping', ts: 1 });
    await expectAuthFailure(c, ErrorCode.AUTH_REQUIRED);
    expect(c.frames.some((f) => f.t === 'pong')).toBe(false);
  });

  it('treats a binary first frame as AUTH_REQUIRED', async () => {
    const c = srv.connect({ token: '', deviceId: 'd1', sendAuth: false });
    c.sendRaw(Buffer.from('{"json":{"t":"auth"}}'));
    await expectAuthFailure(c, ErrorCode.AUTH_REQUIRED);
  });

  it('answers requests pipelined right behind the auth frame', async () => {
    const c = srv.connect({ token: srv.token(uid('u')), deviceId: 'd1' });
    // Queued before the socket opens, so it travels right after the auth frame.
    const res = c.request('conversations.list', { limit: 10, offset: 0 });
    expect((await c.authResult).t).toBe('auth_ok');
    expect(await res).toMatchObject({ ok: true, result: { conversations: [], total: 0 } });
  });
});

describe('auth deadline', () => {
  let quick: TestServer;
  beforeAll(async () => {
    // A short pushResendMs also makes the server's housekeeping sweep run often.
    quick = await startServer({ authTimeoutMs: 200, pushResendMs: 200 });
  });
  afterAll(() => quick?.stop());

  it('closes a socket that never authenticates (AUTH_TIMEOUT, close 4003)', async () => {
    const c = quick.connect({ token: '', deviceId: 'd1', sendAuth: false });
    await c.opened;
    const result = await c.authResult;
    expect(result).toMatchObject({ t: 'auth_failed', code: ErrorCode.AUTH_TIMEOUT });
    expect((await c.closed).code).toBe(CloseCode.AUTH_TIMEOUT);
  });

  it('does not close a socket that authenticated in time', async () => {
    const c = await quick.login(uid('u'));
    const other = quick.connect({ token: '', deviceId: 'd1', sendAuth: false });
    // The idle one is closed after the deadline; the authenticated one still answers afterwards.
    await other.closed;
    await c.ping();
    expect(c.closeInfo).toBeNull();
  });
});

describe('token expiry during a session (injected clock)', () => {
  let now = Date.now();
  let clocked: TestServer;
  beforeAll(async () => {
    clocked = await startServer({ now: () => now, pushResendMs: 200 });
  });
  afterAll(() => clocked?.stop());

  it('ends the session with TOKEN_EXPIRED once the token expires (with the clock tolerance), not before', async () => {
    const exp = Math.floor(now / 1000) + 60;
    const c = await clocked.login(uid('u'), { exp });
    now += 30_000;
    await c.ping(); // still valid halfway
    now += 31_000 + CLOCK_SKEW_S * 1000 - 2_000;
    await c.ping(); // past exp, inside the tolerance a token would still be accepted at login
    now += 2_000;
    expect(await c.nextFrame(frameOf('auth_failed'))).toMatchObject({ code: ErrorCode.TOKEN_EXPIRED });
    expect((await c.closed).code).toBe(CloseCode.AUTH_FAILED);
  });
});
