/** Kicks and refused authentication: states the connection never leaves by itself. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, KickReason } from '../../../schema';
import { authOk, bringOnline, frame, openAndAuth, sentFrames, setup, type Harness } from './harness';

/** Advance a long time and toggle the network: nothing may open a socket. */
function expectStaysPut(h: Harness): void {
  const sockets = h.sockets.length;
  const state = h.conn.state;
  expect(h.clock.pending).toBe(0);
  h.clock.advance(24 * 3_600_000);
  h.network.set(false);
  h.network.set(true);
  h.clock.advance(3_600_000);
  expect(h.sockets).toHaveLength(sockets);
  expect(h.conn.state).toBe(state);
}

describe('Connection: kick', () => {
  it('a kick frame is terminal: no socket is ever created again by itself', async () => {
    const h = setup();
    h.conn.connect();
    const socket = await bringOnline(h);
    socket.serverSend(frame({ t: 'kick', reason: KickReason.LOGGED_IN_ELSEWHERE, message: 'logged in on another device' }));
    expect(h.conn.state).toEqual({ status: 'kicked', reason: 'LOGGED_IN_ELSEWHERE', message: 'logged in on another device' });
    expect(socket.closedWith).not.toBeNull();
    socket.serverClose(4001, 'LOGGED_IN_ELSEWHERE'); // the server's close that follows changes nothing
    expect(h.statuses().filter((s) => s === 'kicked')).toHaveLength(1);
    expectStaysPut(h);
  });

  it('close code 4001 without a kick frame is a kick, with the reason from the close', async () => {
    const h = setup();
    h.conn.connect();
    (await bringOnline(h)).serverClose(4001, 'REPLACED');
    expect(h.conn.state).toMatchObject({ status: 'kicked', reason: 'REPLACED' });
    expectStaysPut(h);
  });

  it('close code 4001 with an unknown reason is LOGGED_IN_ELSEWHERE', async () => {
    const h = setup();
    h.conn.connect();
    (await bringOnline(h)).serverClose(4001, 'something else');
    expect(h.conn.state).toMatchObject({ status: 'kicked', reason: 'LOGGED_IN_ELSEWHERE' });
  });

  it('a kick while authenticating is terminal too', async () => {
    const h = setup();
    h.conn.connect();
    (await openAndAuth(h)).serverSend(frame({ t: 'kick', reason: KickReason.REPLACED, message: 'newer socket' }));
    expect(h.conn.state).toMatchObject({ status: 'kicked', reason: 'REPLACED' });
    expectStaysPut(h);
  });

  it('reconnect() is how the app leaves kicked', async () => {
    const h = setup();
    h.conn.connect();
    (await bringOnline(h)).serverClose(4001, 'ADMIN');
    h.conn.reconnect();
    expect(h.sockets).toHaveLength(2);
    await bringOnline(h);
  });
});

describe('Connection: auth_failed', () => {
  it('TOKEN_INVALID is terminal, with no reconnect loop', async () => {
    const h = setup();
    h.conn.connect();
    const socket = await openAndAuth(h);
    socket.serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_INVALID, message: 'bad signature' }));
    socket.serverClose(4000, 'TOKEN_INVALID');
    expect(h.conn.state).toEqual({ status: 'auth_failed', code: 'TOKEN_INVALID', message: 'bad signature' });
    expect(h.tokenRequests).toEqual([false]);
    expectStaysPut(h);
  });

  it('UNSUPPORTED_VERSION is terminal', async () => {
    const h = setup();
    h.conn.connect();
    (await openAndAuth(h)).serverSend(
      frame({ t: 'auth_failed', code: ErrorCode.UNSUPPORTED_VERSION, message: 'v9 only', supportedVersions: [9] }),
    );
    expect(h.conn.state).toMatchObject({ status: 'auth_failed', code: 'UNSUPPORTED_VERSION' });
    expectStaysPut(h);
  });

  it('TOKEN_EXPIRED asks for a fresh token and retries at once', async () => {
    const h = setup();
    h.conn.connect();
    const first = await openAndAuth(h);
    first.serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_EXPIRED, message: 'expired' }));
    expect(h.sockets).toHaveLength(2); // no backoff wait
    expect(first.onclose).toBeNull();
    expect(h.conn.state).toEqual({ status: 'connecting', attempt: 1 });
    await openAndAuth(h);
    expect(h.tokenRequests).toEqual([false, true]);
    expect(sentFrames(h.socket)[0]).toMatchObject({ t: 'auth', token: 'fresh-token' });
    h.socket.serverSend(authOk());
    expect(h.conn.state.status).toBe('online');
  });

  it('a second TOKEN_EXPIRED right after the fresh token is terminal', async () => {
    const h = setup();
    h.conn.connect();
    (await openAndAuth(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_EXPIRED, message: 'expired' }));
    (await openAndAuth(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_EXPIRED, message: 'still expired' }));
    expect(h.conn.state).toEqual({ status: 'auth_failed', code: 'TOKEN_EXPIRED', message: 'still expired' });
    expect(h.tokenRequests).toEqual([false, true]);
    expect(h.sockets).toHaveLength(2);
    expectStaysPut(h);
  });

  it('a token that expires again after a successful session gets its fresh retry again', async () => {
    const h = setup();
    h.conn.connect();
    (await openAndAuth(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_EXPIRED, message: 'expired' }));
    (await bringOnline(h)).serverClose(1006);
    h.clock.advance(500);
    (await openAndAuth(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_EXPIRED, message: 'expired' }));
    expect(h.conn.state.status).toBe('connecting');
    await openAndAuth(h);
    expect(h.tokenRequests).toEqual([false, true, false, true]);
  });

  it('an online session ended for an expired token reconnects at once with a fresh token', async () => {
    const h = setup();
    h.conn.connect();
    (await bringOnline(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_EXPIRED, message: 'token expired during the session' }));
    expect(h.sockets).toHaveLength(2); // no backoff wait
    await openAndAuth(h);
    expect(h.tokenRequests).toEqual([false, true]);
    expect(sentFrames(h.socket)[0]).toMatchObject({ t: 'auth', token: 'fresh-token' });
    h.socket.serverSend(authOk());
    expect(h.conn.state.status).toBe('online');
  });

  it('AUTH_TIMEOUT (a slow token provider) backs off instead of ending', async () => {
    const h = setup();
    h.conn.connect();
    (await openAndAuth(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.AUTH_TIMEOUT, message: 'no auth frame in time' }));
    expect(h.conn.state).toMatchObject({ status: 'backoff', attempt: 1, lastError: { code: 'AUTH_TIMEOUT' } });
  });

  it('auth_failed outside authentication is ignored', async () => {
    const h = setup();
    h.conn.connect();
    (await bringOnline(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_INVALID, message: 'late' }));
    expect(h.conn.state.status).toBe('online');
  });

  it('reconnect() leaves auth_failed with a normal token request', async () => {
    const h = setup();
    h.conn.connect();
    (await openAndAuth(h)).serverSend(frame({ t: 'auth_failed', code: ErrorCode.TOKEN_INVALID, message: 'bad' }));
    h.conn.reconnect();
    await bringOnline(h);
    expect(h.tokenRequests).toEqual([false, false]);
  });
});
