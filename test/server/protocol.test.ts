/** Frame-level robustness: bad input gets an error and the connection (and server) carry on. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, encodeFrame } from '../../schema';
import { setupGroup, uid } from '../support/fixtures';
import { startServer, type LoggedIn, type TestServer } from '../support/server';
import { frameOf, type WireClient } from '../support/wireClient';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterEach(() => srv.server.hooks!.reset());
afterAll(() => srv?.stop());

const isError = frameOf('error');

/** The error frame the server answers `raw` with; then proves the socket still works. */
async function errorFor(c: WireClient, raw: string | Buffer): Promise<string> {
  c.sendRaw(raw);
  const err = await c.nextFrame(isError);
  await c.ping();
  expect(c.closeInfo).toBeNull();
  return err.code;
}

describe('a request the server never answers', () => {
  it('gets no response, while the connection stays healthy', async () => {
    srv.server.hooks!.neverAnswer.add('conversations.list');
    const c = await srv.login(uid('u'));
    const silentId = c.newRequestId();
    const silent = c.requestWithId(silentId, 'conversations.list', { limit: 10, offset: 0 }, 300);

    // Sent after it and answered: other requests and pings still flow, so only a client-side
    // timeout can end the silent request.
    const answered = c.request('sync', { cursor: 0, limit: 10 });
    const [pong, other] = await Promise.all([c.ping(), answered, expect(silent).rejects.toThrow(/timed out after 300 ms/)]);
    expect(pong.t).toBe('pong');
    expect(other.ok).toBe(true);
    expect(c.frames.some((f) => f.t === 'res' && f.id === silentId)).toBe(false);

    // The hook, not a broken handler, was the reason.
    srv.server.hooks!.reset();
    expect((await c.request('conversations.list', { limit: 10, offset: 0 })).ok).toBe(true);
  });
});

describe('bad requests', () => {
  it('answers an unknown request type with UNKNOWN_REQUEST', async () => {
    const c = await srv.login(uid('u'));
    expect(await c.request('messages.delete', { id: 1 })).toMatchObject({ ok: false, error: { code: ErrorCode.UNKNOWN_REQUEST } });
    // Inherited object keys are not request types either.
    expect(await c.request('toString', {})).toMatchObject({ ok: false, error: { code: ErrorCode.UNKNOWN_REQUEST } });
    expect(await c.request('hasOwnProperty', {})).toMatchObject({ ok: false, error: { code: ErrorCode.UNKNOWN_REQUEST } });
    await c.ping();
  });

  it.each([
    ['missing params', 'conversations.list', undefined],
    ['a string limit', 'conversations.list', { limit: '10', offset: 0 }],
    ['a limit over the page size', 'conversations.list', { limit: 10_000, offset: 0 }],
    ['a negative cursor', 'sync', { cursor: -1, limit: 10 }],
    ['an id with a path separator', 'messages.history', { conversationId: '../etc/passwd', limit: 10 }],
    ['an unknown conversation kind', 'conversations.create', { kind: 'broadcast', title: 'x', memberIds: ['alice'] }],
  ])('answers %s with INVALID_PARAMS', async (_label, type, params) => {
    const c = await srv.login(uid('u'));
    expect(await c.request(type, params)).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PARAMS } });
    await c.ping();
  });
});

describe('numbers past the safe integers', () => {
  it.each([
    ['conversations.markRead upToSeq', 'conversations.markRead', (id: string) => ({ conversationId: id, upToSeq: 1e300 })],
    ['receipts.delivered upToSeq', 'receipts.delivered', (id: string) => ({ conversationId: id, upToSeq: 2 ** 53 })],
    ['messages.range afterSeq', 'messages.range', (id: string) => ({ conversationId: id, afterSeq: 1e300, limit: 10 })],
    ['messages.history beforeSeq', 'messages.history', (id: string) => ({ conversationId: id, beforeSeq: 1e300, limit: 10 })],
    ['conversations.list offset', 'conversations.list', () => ({ limit: 10, offset: 1e300 })],
    ['sync cursor', 'sync', () => ({ cursor: 1e300, limit: 10 })],
    ['conversations.seqsAt cursor', 'conversations.seqsAt', () => ({ cursor: 1e300, limit: 10 })],
  ] as const)('refuses %s of 1e300 with INVALID_PARAMS, not an internal error', async (_label, type, params) => {
    const lines: string[] = [];
    const s = await startServer({ log: (l) => lines.push(l) });
    try {
      const { owner, conversation } = await setupGroup(s, [{}]);
      expect(await owner.request(type, params(conversation.id))).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PARAMS } });
      expect(lines.filter((l) => l.includes('failed'))).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});

describe('malformed frames', () => {
  it.each([
    ['malformed JSON', 'not json {'],
    ['JSON that is not a superjson envelope', '{"t":"ping","ts":1}'],
    ['a JSON array', '[1,2,3]'],
    ['a wrong field type', encodeFrame({ t: 'ping', ts: 'yesterday' })],
    ['an unknown frame type', encodeFrame({ t: 'subscribe', topic: 'all' })],
    ['a frame with no type', encodeFrame({ ts: 1 })],
    ['a negative ack cursor', encodeFrame({ t: 'ack', cursor: -5 })],
    ['a request id with spaces', encodeFrame({ t: 'req', id: 'a b', type: 'sync', params: { cursor: 0, limit: 1 } })],
    ['malformed superjson metadata', '{"json":{"t":"ping","ts":1},"meta":{"values":{"ts":["custom","x"]}}}'],
    ['a binary frame', Buffer.from([0xde, 0xad, 0xbe, 0xef])],
  ])('answers %s with INVALID_FRAME and keeps the connection', async (_label, raw) => {
    const c = await srv.login(uid('u'));
    expect(await errorFor(c, raw)).toBe(ErrorCode.INVALID_FRAME);
  });

  it('does not treat a second auth frame as a new login', async () => {
    const c = await srv.login(uid('u'));
    c.send({ t: 'auth', v: 1, token: srv.token(uid('someone-else')), deviceId: 'x' });
    await c.nextFrame(isError);
    await c.ping();
    expect(c.frames.filter((f) => f.t === 'auth_ok')).toHaveLength(1);
  });
});

describe('prototype pollution', () => {
  const payloads: [string, string][] = [
    ['__proto__ at the top', '{"json":{"t":"ping","ts":1,"__proto__":{"polluted":"yes"}}}'],
    ['__proto__ in params', '{"json":{"t":"req","id":"p1","type":"conversations.list","params":{"limit":1,"offset":0,"__proto__":{"polluted":"yes"}}}}'],
    [
      'constructor.prototype in content',
      '{"json":{"t":"req","id":"p2","type":"messages.send","params":{"conversationId":"c1","clientId":"6f1c1d5e-0f5e-4d53-9a53-2a3c2f8c9b10","content":{"type":"text","text":"hi","constructor":{"prototype":{"polluted":"yes"}}}}}}',
    ],
    ['prototype deep down', '{"json":{"t":"ping","ts":1,"a":{"b":{"c":{"prototype":{"polluted":"yes"}}}}}}'],
    ['__proto__ in superjson meta', '{"json":{"t":"ping","ts":1},"meta":{"values":{"__proto__":["map"]}}}'],
    ['a superjson path through __proto__', '{"json":{"t":"ping","ts":1,"a":{}},"meta":{"referentialEqualities":{"a":["__proto__.polluted"]}}}'],
  ];

  it.each(payloads)('refuses %s with INVALID_FRAME, polluting nothing', async (_label, raw) => {
    const c = await srv.login(uid('u'));
    expect(await errorFor(c, raw)).toBe(ErrorCode.INVALID_FRAME);
    // The request ids p1/p2 were never answered as if the frame were valid.
    expect(c.frames.some((f) => f.t === 'res')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses a polluting first frame as AUTH_REQUIRED', async () => {
    const c = srv.connect({ token: '', deviceId: 'd', sendAuth: false });
    c.sendRaw(`{"json":{"t":"auth","v":1,"token":"${srv.token(uid('u'))}","deviceId":"d","__proto__":{"polluted":"yes"}}}`);
    expect(await c.authResult).toMatchObject({ t: 'auth_failed', code: ErrorCode.AUTH_REQUIRED });
    expect((await c.closed).code).toBe(CloseCode.AUTH_FAILED);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('frame size', () => {
  it('closes a socket that sends a frame over maxFrameBytes with 1009; everyone else carries on', async () => {
    const bystander = await srv.login(uid('b'));
    const c = await srv.login(uid('u'));
    c.sendRaw('x'.repeat(64 * 1024 + 1));
    expect((await c.closed).code).toBe(CloseCode.TOO_BIG);

    await bystander.ping();
    const fresh = await srv.login(uid('n'));
    expect((await fresh.request('conversations.list', { limit: 1, offset: 0 })).ok).toBe(true);
  });

  it('accepts a frame just under the limit (answering on its merits)', async () => {
    const c = await srv.login(uid('u'));
    const res = await c.request('conversations.list', { limit: 1, offset: 0, padding: 'x'.repeat(60 * 1024) });
    // Unknown keys are stripped or refused, but the socket survives either way.
    expect(res.t).toBe('res');
    await c.ping();
  });
});

describe('rate limit', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startServer({ rateLimit: { perSecond: 1, burst: 5 } });
  });
  afterAll(() => limited?.stop());

  it('answers a flood of requests past the limit with RATE_LIMITED responses', async () => {
    const c = await limited.login(uid('u'));
    const responses = await Promise.all(Array.from({ length: 20 }, () => c.request('conversations.list', { limit: 1, offset: 0 })));
    const ok = responses.filter((r) => r.ok);
    const limitedOnes = responses.filter((r) => !r.ok && r.error.code === ErrorCode.RATE_LIMITED);
    expect(limitedOnes.length).toBeGreaterThanOrEqual(14);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length + limitedOnes.length).toBe(20);
  });

  it('answers a flood of pings past the limit with RATE_LIMITED error frames', async () => {
    const c = await limited.login(uid('u'));
    for (let i = 0; i < 20; i++) c.send({ t: 'ping', ts: i });
    const err = await c.nextFrame(isError);
    expect(err.code).toBe(ErrorCode.RATE_LIMITED);
    // Only the burst got through: the others were refused, not queued.
    await c.until(() => c.frames.filter((f) => f.t === 'pong' || f.t === 'error').length === 20);
    expect(c.frames.filter((f) => f.t === 'pong').length).toBeLessThanOrEqual(5);
  });

  it("limits each user on their own: a flooder's neighbour keeps its whole burst", async () => {
    const flooder = await limited.login(uid('f'));
    const calm = await limited.login(uid('c'));
    for (let i = 0; i < 20; i++) flooder.send({ t: 'ping', ts: i });
    await flooder.nextFrame(isError);
    for (let i = 0; i < 5; i++) calm.send({ t: 'ping', ts: i });
    await calm.until(() => calm.frames.filter((f) => f.t === 'pong' || f.t === 'error').length === 5);
    expect(calm.frames.filter((f) => f.t === 'pong')).toHaveLength(5);
  });

  it('grants no fresh burst to a reconnect: the limit follows the user, not the socket', async () => {
    const userId = uid('r');
    const first = await limited.login(userId);
    for (let i = 0; i < 10; i++) first.send({ t: 'ping', ts: i });
    await first.until(() => first.frames.filter((f) => f.t === 'pong' || f.t === 'error').length === 10);
    await first.close();
    const again = await limited.login(userId, { deviceId: 'other' });
    again.send({ t: 'ping', ts: 99 });
    expect(await again.nextFrame((f) => f.t === 'pong' || f.t === 'error')).toMatchObject({ t: 'error', code: ErrorCode.RATE_LIMITED });
  });
});

describe('a sustained flood', () => {
  // Time is the test's: each round the bucket refills a few frames, as a steady flood sees it.
  let now = Date.now();
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ rateLimit: { perSecond: 50, burst: 5 }, now: () => now });
  });
  afterAll(() => srv?.stop());

  /** 10 pings 100 ms apart in the server's time: 5 refill, so half are refused each round. */
  async function round(c: LoggedIn): Promise<void> {
    now += 100;
    const before = c.frames.length;
    for (let i = 0; i < 10; i++) c.send({ t: 'ping', ts: i });
    await c.until(() => c.closeInfo !== null || c.frames.length - before === 10);
  }

  it('is closed (1008) though refills keep letting some of it through, and so is its next socket at once', async () => {
    const userId = uid('flood');
    const c = await srv.login(userId);
    let rounds = 0;
    while (c.closeInfo === null && rounds < 200) {
      await round(c);
      rounds++;
    }
    expect(c.closeInfo).toMatchObject({ code: CloseCode.POLICY });
    // Half of every round got through, so only the count of refusals over time could tell.
    expect(c.frames.filter((f) => f.t === 'pong').length).toBeGreaterThan(rounds * 4);
    const again = await srv.login(userId, { deviceId: 'again' });
    for (let i = 0; i < 10; i++) again.send({ t: 'ping', ts: i });
    expect((await again.closed).code).toBe(CloseCode.POLICY);
  });

  it('is not what a client that backs off does: refused now and then, never closed', async () => {
    const c = await srv.login(uid('calm'));
    for (let r = 0; r < 100; r++) {
      now += 1000;
      for (let i = 0; i < 6; i++) c.send({ t: 'ping', ts: i }); // one over its burst each second
      await c.until(() => c.frames.filter((f) => f.t === 'pong' || f.t === 'error').length === (r + 1) * 6);
    }
    expect(c.closeInfo).toBeNull();
    expect(c.frames.filter((f) => f.t === 'error')).toHaveLength(100);
  });
});
