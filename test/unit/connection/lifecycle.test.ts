/** Connecting, authenticating, going online, talking, timing out and closing. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, PROTOCOL_VERSION, encodeFrame } from '../../../schema';
import { authOk, bringOnline, flush, frame, openAndAuth, sentFrames, setup } from './harness';

describe('Connection: happy path', () => {
  it('goes idle → connecting → authenticating → online, notifying only later states', async () => {
    const h = setup({ cursor: 41 });
    expect(h.conn.state).toEqual({ status: 'idle' });
    expect(h.states).toEqual([]); // subscribe does not replay the current state
    h.conn.connect();
    expect(h.sockets).toHaveLength(1);
    expect(h.socket.url).toBe('ws://parley.test/ws');
    expect(h.conn.state).toEqual({ status: 'connecting', attempt: 1 });
    h.socket.serverOpen();
    expect(h.conn.state).toEqual({ status: 'authenticating', attempt: 1 });
    await flush();
    expect(h.tokenRequests).toEqual([false]);
    h.socket.serverSend(authOk({ userId: 'shop-agent', role: 'merchant', shopId: 'parley-shop', displayName: 'Agent' }));
    expect(h.conn.state).toEqual({
      status: 'online',
      since: h.clock.now(),
      userId: 'shop-agent',
      role: 'merchant',
      shopId: 'parley-shop',
      displayName: 'Agent',
      deviceId: 'web-dev1',
    });
    expect(h.conn.isOnline).toBe(true);
    expect(h.statuses()).toEqual(['connecting', 'authenticating', 'online']);
  });

  it('sends exactly one auth frame with version, token, deviceId and the local cursor', async () => {
    const h = setup({ cursor: 41 });
    h.conn.connect();
    await openAndAuth(h);
    expect(sentFrames(h.socket)).toEqual([
      { t: 'auth', v: PROTOCOL_VERSION, token: 'cached-token', deviceId: 'web-dev1', cursor: 41 },
    ]);
  });

  it('omits the cursor when the store has none, so the server uses its record', async () => {
    const h = setup();
    h.conn.connect();
    await openAndAuth(h);
    const [auth] = sentFrames(h.socket);
    expect(auth).toEqual({ t: 'auth', v: PROTOCOL_VERSION, token: 'cached-token', deviceId: 'web-dev1' });
    expect(auth && 'cursor' in auth).toBe(false);
  });

  it('connect() while already connecting or online does nothing', async () => {
    const h = setup();
    h.conn.connect();
    h.conn.connect();
    expect(h.sockets).toHaveLength(1);
    await bringOnline(h);
    h.conn.connect();
    expect(h.sockets).toHaveLength(1);
    expect(h.conn.state.status).toBe('online');
  });

  it('delivers states in order even when a listener causes a transition', async () => {
    const h = setup();
    const seenBySecond: string[] = [];
    h.conn.subscribe((s) => {
      if (s.status === 'online') h.conn.close();
    });
    h.conn.subscribe((s) => seenBySecond.push(s.status));
    h.conn.connect();
    await openAndAuth(h);
    h.socket.serverSend(authOk());
    expect(seenBySecond).toEqual(['connecting', 'authenticating', 'online', 'closed']);
    expect(h.statuses()).toEqual(['connecting', 'authenticating', 'online', 'closed']);
  });

  it('unsubscribe stops notifications', () => {
    const h = setup();
    const seen: string[] = [];
    const off = h.conn.subscribe((s) => seen.push(s.status));
    off();
    h.conn.connect();
    expect(seen).toEqual([]);
  });
});

describe('Connection: frames', () => {
  it('send() is refused until online, then writes the encoded frame', async () => {
    const h = setup();
    expect(h.conn.send({ t: 'ack', cursor: 1 })).toBe(false);
    h.conn.connect();
    expect(h.conn.send({ t: 'ack', cursor: 1 })).toBe(false);
    await openAndAuth(h);
    expect(h.conn.send({ t: 'ack', cursor: 1 })).toBe(false); // authenticating
    h.socket.serverSend(authOk());
    expect(h.conn.send({ t: 'ack', cursor: 7 })).toBe(true);
    expect(sentFrames(h.socket).at(-1)).toEqual({ t: 'ack', cursor: 7 });
  });

  it('hands res, push and error frames to onFrame, and keeps auth_ok and pong to itself', async () => {
    const h = setup();
    h.conn.connect();
    await bringOnline(h);
    h.socket.serverSend(frame({ t: 'pong', ts: 1, serverTime: 2 }));
    h.socket.serverSend(authOk());
    h.socket.serverSend(frame({ t: 'res', id: 'r1', ok: true, result: { total: 0 } }));
    h.socket.serverSend(frame({ t: 'push', cursor: 10, event: { kind: 'receipt', conversationId: 'c1', userId: 'bob', receipt: 'read', upToSeq: 3 } }));
    h.socket.serverSend(frame({ t: 'error', code: ErrorCode.INVALID_FRAME, message: 'bad' }));
    expect(h.frames.map((f) => f.t)).toEqual(['res', 'push', 'error']);
    expect(h.frames[1]).toMatchObject({ cursor: 10, event: { kind: 'receipt', upToSeq: 3 } });
  });

  it('ignores invalid frames without failing, before and after auth', async () => {
    const h = setup();
    h.conn.connect();
    await openAndAuth(h);
    const junk: unknown[] = [
      'not json',
      '{"t":"auth_ok"}', // not a superjson envelope
      encodeFrame({ t: 'auth_ok', userId: 'alice' }), // missing fields
      '{"json":{"t":"kick","reason":"LOGGED_IN_ELSEWHERE","message":"x","__proto__":{"polluted":true}}}',
      encodeFrame({ t: 'kick', reason: 'BECAUSE', message: 'unknown reason' }),
      encodeFrame({ t: 'auth_failed', code: 'NOPE', message: 'unknown code' }),
      new Uint8Array([1, 2, 3]), // binary
    ];
    for (const data of junk) h.socket.onmessage?.({ data });
    expect(h.conn.state.status).toBe('authenticating');
    h.socket.serverSend(authOk());
    expect(h.conn.state.status).toBe('online');
    for (const data of junk) h.socket.onmessage?.({ data });
    h.socket.serverSend(encodeFrame({ t: 'push', cursor: -1, event: { kind: 'nope' } }));
    expect(h.conn.state.status).toBe('online');
    expect(h.frames).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops frames other than auth replies before online', async () => {
    const h = setup();
    h.conn.connect();
    await openAndAuth(h);
    h.socket.serverSend(frame({ t: 'error', code: ErrorCode.INVALID_FRAME, message: 'early' }));
    expect(h.frames).toEqual([]);
  });
});

describe('Connection: connect timeout', () => {
  it('abandons a socket that never opens after connectTimeoutMs and backs off', () => {
    const h = setup({ connectTimeoutMs: 5_000 });
    h.conn.connect();
    const first = h.socket;
    h.clock.advance(4_999);
    expect(h.conn.state.status).toBe('connecting');
    h.clock.advance(1);
    expect(h.conn.state).toMatchObject({ status: 'backoff', attempt: 1, lastError: { code: ErrorCode.REQUEST_TIMEOUT } });
    expect(first.closedWith).not.toBeNull();
    expect(first.onopen).toBeNull(); // a late open cannot reach the connection
  });

  it('bounds authentication too: no auth_ok in time means backoff', async () => {
    const h = setup({ connectTimeoutMs: 5_000 });
    h.conn.connect();
    h.clock.advance(1_000);
    await openAndAuth(h);
    expect(sentFrames(h.socket)).toHaveLength(1);
    h.clock.advance(3_999);
    expect(h.conn.state.status).toBe('authenticating');
    h.clock.advance(1);
    expect(h.conn.state).toMatchObject({ status: 'backoff', lastError: { code: ErrorCode.REQUEST_TIMEOUT } });
  });

  it('bounds a token request that never answers, and ignores the token if it comes later', async () => {
    let resolveToken: (t: string) => void = () => undefined;
    const h = setup({ connectTimeoutMs: 5_000, getToken: () => new Promise((r) => (resolveToken = r)) });
    h.conn.connect();
    const first = await openAndAuth(h);
    h.clock.advance(5_000);
    const backoff = h.conn.state;
    expect(backoff).toMatchObject({ status: 'backoff', attempt: 1 });
    const pending = h.clock.pending;
    resolveToken('late-token');
    await flush();
    expect(first.sent).toEqual([]);
    expect(h.conn.state).toBe(backoff); // the stale answer neither sends nor counts as another failure
    expect(h.clock.pending).toBe(pending);
  });

  it('does not fire once online', async () => {
    const h = setup({ connectTimeoutMs: 5_000 });
    h.conn.connect();
    await bringOnline(h);
    h.clock.advance(5_000);
    h.socket.serverSend(frame({ t: 'pong', ts: 0, serverTime: 0 }));
    expect(h.conn.state.status).toBe('online');
  });
});

describe('Connection: close()', () => {
  it('leaves no timers, no socket and no network subscription behind', async () => {
    const h = setup();
    h.conn.connect();
    const socket = await bringOnline(h);
    h.clock.advance(20_000); // a ping out, its deadline pending, stable timer pending
    expect(h.clock.pending).toBeGreaterThan(0);
    expect(h.networkSubscriptions()).toBe(1);
    h.conn.close();
    expect(h.networkSubscriptions()).toBe(0);
    expect(h.conn.state).toEqual({ status: 'closed' });
    expect(h.clock.pending).toBe(0);
    expect(socket.closedWith).toEqual({ code: 1000, reason: undefined });
    expect(socket.onmessage).toBeNull();
    h.network.set(false);
    h.network.set(true);
    h.clock.advance(3_600_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.statuses().at(-1)).toBe('closed');
  });

  it('cancels a pending retry and a pending connect timeout', () => {
    const h = setup();
    h.conn.connect();
    h.socket.serverClose(1006);
    expect(h.conn.state.status).toBe('backoff');
    h.conn.close();
    expect(h.clock.pending).toBe(0);
    const fresh = setup();
    fresh.conn.connect();
    fresh.conn.close();
    expect(fresh.clock.pending).toBe(0);
  });

  it('is final: connect() and reconnect() afterwards do nothing', () => {
    const h = setup();
    h.conn.connect();
    h.conn.close();
    h.conn.connect();
    h.conn.reconnect();
    expect(h.sockets).toHaveLength(1);
    expect(h.conn.state.status).toBe('closed');
  });
});
