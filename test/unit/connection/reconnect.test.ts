/** Backoff, giving up, stable uptime, half-open sockets and the network monitor. */
import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../../../schema';
import { backoffDelayNow, bringOnline, frame, openAndAuth, sentFrames, setup, type Harness } from './harness';

/** The current socket fails before open; returns the backoff delay that follows. */
function failTry(h: Harness, how: 'close' | 'error' = 'close'): number {
  if (how === 'close') h.socket.serverClose(1006);
  else h.socket.serverError();
  return backoffDelayNow(h);
}

describe('Connection: backoff', () => {
  it('waits exponentially longer after each failed try, then retries exactly on time', () => {
    const h = setup({ reconnect: { maxAttempts: 100 } });
    h.conn.connect();
    const delays: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const delay = failTry(h, i % 2 ? 'close' : 'error');
      expect(h.conn.state).toMatchObject({ status: 'backoff', attempt: i, lastError: { code: ErrorCode.DISCONNECTED } });
      delays.push(delay);
      const before = h.sockets.length;
      h.clock.advance(delay - 1);
      expect(h.sockets).toHaveLength(before); // nothing early
      h.clock.advance(1);
      expect(h.sockets).toHaveLength(before + 1);
      expect(h.conn.state).toEqual({ status: 'connecting', attempt: i + 1 });
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('applies jitter from platform.random and caps at maxDelayMs', () => {
    const h = setup({ reconnect: { maxAttempts: 100, maxDelayMs: 3_000 } });
    h.fake.setRandom(0); // -30 %
    h.conn.connect();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const delay = failTry(h);
      delays.push(delay);
      h.clock.advance(delay);
    }
    expect(delays).toEqual([350, 700, 1400, 2100, 2100, 2100]);
    h.fake.setRandom(0.999_999);
    expect(failTry(h)).toBe(3_000);
  });

  it('gives up after maxAttempts failures in a row, and reconnect() starts over', () => {
    const h = setup({ reconnect: { maxAttempts: 4 } });
    h.conn.connect();
    for (let i = 1; i <= 3; i++) h.clock.advance(failTry(h));
    expect(h.sockets).toHaveLength(4);
    h.socket.serverClose(1011, 'boom');
    expect(h.conn.state).toEqual({
      status: 'gave_up',
      attempts: 4,
      lastError: { code: ErrorCode.DISCONNECTED, message: 'socket closed (1011 boom)' },
    });
    expect(h.clock.pending).toBe(0);
    h.clock.advance(3_600_000);
    h.network.set(false);
    h.network.set(true);
    expect(h.sockets).toHaveLength(4);
    expect(h.conn.state.status).toBe('gave_up');

    h.conn.reconnect();
    expect(h.sockets).toHaveLength(5);
    expect(h.conn.state).toEqual({ status: 'connecting', attempt: 1 });
    expect(failTry(h)).toBe(500); // the count started over
  });

  it('connect() also leaves gave_up with the count reset', () => {
    const h = setup({ reconnect: { maxAttempts: 1 } });
    h.conn.connect();
    h.socket.serverClose(1006);
    expect(h.conn.state.status).toBe('gave_up');
    h.conn.connect();
    expect(h.conn.state).toEqual({ status: 'connecting', attempt: 1 });
  });

  it('reconnect() from any live state drops the socket and connects now', async () => {
    const h = setup();
    h.conn.connect();
    const first = await bringOnline(h);
    h.conn.reconnect();
    expect(first.closedWith).not.toBeNull();
    expect(first.onclose).toBeNull();
    expect(h.sockets).toHaveLength(2);
    expect(h.conn.state).toEqual({ status: 'connecting', attempt: 1 });
    h.socket.serverClose(1006);
    h.conn.reconnect(); // from backoff: no waiting
    expect(h.sockets).toHaveLength(3);
    expect(h.clock.pending).toBe(1); // just the new connect timeout
    expect(h.networkSubscriptions()).toBe(1); // restarts do not pile up network listeners
  });

  it('counts a try that dies before auth_ok, and a getToken that rejects, as failures', async () => {
    const h = setup({ getToken: () => Promise.reject(new Error('no live tab')) });
    h.conn.connect();
    await openAndAuth(h);
    expect(h.conn.state).toMatchObject({
      status: 'backoff',
      attempt: 1,
      lastError: { code: ErrorCode.AUTH_REQUIRED, message: 'no token: no live tab' },
    });
    expect(h.socket.closedWith).not.toBeNull();
    expect(h.socket.sent).toEqual([]);
  });
});

describe('Connection: stable uptime', () => {
  it('a link that drops within stableAfterMs keeps growing its backoff', async () => {
    const h = setup({ reconnect: { stableAfterMs: 10_000, maxAttempts: 100 } });
    h.conn.connect();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await bringOnline(h);
      h.clock.advance(9_999);
      h.socket.serverClose(1006);
      delays.push(backoffDelayNow(h));
      h.clock.advance(delays.at(-1) ?? 0);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
  });

  it('the count resets once online for stableAfterMs', async () => {
    const h = setup({ reconnect: { stableAfterMs: 10_000 } });
    h.conn.connect();
    h.clock.advance(failTry(h));
    h.clock.advance(failTry(h));
    h.clock.advance(failTry(h)); // three failures: the next would wait 4000
    await bringOnline(h);
    h.clock.advance(10_000);
    h.socket.serverClose(1006);
    expect(h.conn.state).toMatchObject({ status: 'backoff', attempt: 1 });
    expect(backoffDelayNow(h)).toBe(500);
  });
});

describe('Connection: a node that says go elsewhere (4005)', () => {
  it('comes back within the base delay, spread by platform.random, without growing the backoff', async () => {
    const h = setup({ reconnect: { stableAfterMs: 10_000, maxAttempts: 100 } });
    h.conn.connect();
    h.clock.advance(failTry(h));
    h.clock.advance(failTry(h)); // two failures: the next one would wait 2000
    await bringOnline(h);
    h.fake.setRandom(0.5);
    h.socket.serverClose(CloseCode.GO_ELSEWHERE, 'draining');
    expect(h.conn.state).toMatchObject({ status: 'backoff', attempt: 2 });
    expect(backoffDelayNow(h)).toBe(250);
    const before = h.sockets.length;
    h.clock.advance(250);
    expect(h.sockets).toHaveLength(before + 1);
    // Going elsewhere again, many times, never gives up or waits longer.
    for (let i = 0; i < 10; i++) {
      await bringOnline(h);
      h.fake.setRandom(0.999);
      h.socket.serverClose(CloseCode.GO_ELSEWHERE);
      expect(backoffDelayNow(h)).toBeLessThan(500);
      h.clock.advance(backoffDelayNow(h));
    }
    expect(h.conn.state).toMatchObject({ status: 'connecting' });
  });

  it('is an ordinary failure before the socket is online (a node refusing while it drains)', () => {
    const h = setup();
    h.conn.connect();
    h.socket.serverClose(CloseCode.GO_ELSEWHERE);
    expect(h.conn.state).toMatchObject({ status: 'backoff', attempt: 1 });
    expect(backoffDelayNow(h)).toBe(500);
  });
});

describe('Connection: heartbeat', () => {
  it('pings every intervalMs and stays online while pongs come back', async () => {
    const h = setup({ heartbeat: { intervalMs: 20_000, timeoutMs: 10_000 } });
    h.conn.connect();
    const socket = await bringOnline(h);
    const pings = () => sentFrames(socket).filter((f) => f.t === 'ping');
    h.clock.advance(19_999);
    expect(pings()).toHaveLength(0);
    let wait = 1;
    for (let i = 1; i <= 5; i++) {
      h.clock.advance(wait);
      expect(pings()).toHaveLength(i);
      expect(pings().at(-1)).toEqual({ t: 'ping', ts: h.clock.now() });
      h.clock.advance(2_000); // lag
      socket.serverSend(frame({ t: 'pong', ts: h.clock.now() - 2_000, serverTime: 0 }));
      wait = 18_000; // the next ping is due 20 s after this one; the 10 s deadline passes on the way
    }
    expect(sentFrames(socket).filter((f) => f.t === 'ping')).toHaveLength(5);
    expect(h.conn.state.status).toBe('online');
  });

  it('finds a half-open socket within intervalMs + timeoutMs, without waiting for onclose', async () => {
    const h = setup({ heartbeat: { intervalMs: 20_000, timeoutMs: 10_000 } });
    h.conn.connect();
    const socket = await bringOnline(h);
    h.clock.advance(29_999);
    expect(h.conn.state.status).toBe('online');
    h.clock.advance(1);
    expect(h.conn.state).toMatchObject({ status: 'backoff', attempt: 1, lastError: { code: ErrorCode.DISCONNECTED } });
    expect(socket.closedWith).not.toBeNull(); // we asked it to close...
    expect(socket.readyState).toBe(2); // ...it never finished (the fake never fires onclose)...
    expect(socket.onclose).toBeNull(); // ...and a late close could not reach us anyway
    h.clock.advance(backoffDelayNow(h));
    expect(h.sockets).toHaveLength(2);
    expect(h.conn.state.status).toBe('connecting');
  });

  it('treats pushes as life: a busy socket is not declared dead', async () => {
    const h = setup({ heartbeat: { intervalMs: 20_000, timeoutMs: 10_000 } });
    h.conn.connect();
    const socket = await bringOnline(h);
    for (let t = 0; t < 120_000; t += 5_000) {
      h.clock.advance(5_000);
      socket.serverSend(
        frame({ t: 'push', cursor: t, event: { kind: 'receipt', conversationId: 'c1', userId: 'bob', receipt: 'delivered', upToSeq: 1 } }),
      );
    }
    expect(h.conn.state.status).toBe('online');
  });

  it('stops when the socket drops: only the retry timer is left', async () => {
    const h = setup();
    h.conn.connect();
    const socket = await bringOnline(h);
    h.clock.advance(20_000); // a ping and its deadline in flight, the stable timer pending
    socket.serverClose(1006);
    expect(h.conn.state.status).toBe('backoff');
    expect(h.clock.pending).toBe(1);
    const sentBefore = socket.sent.length;
    h.clock.advance(backoffDelayNow(h) - 1);
    expect(socket.sent).toHaveLength(sentBefore);
  });
});

describe('Connection: network monitor', () => {
  it('drops the socket when the network goes, makes no attempts while offline, and connects at once when it returns', async () => {
    const h = setup();
    h.conn.connect();
    const socket = await bringOnline(h);
    h.network.set(false);
    expect(h.conn.state).toEqual({ status: 'offline' });
    expect(socket.closedWith).not.toBeNull();
    expect(socket.onclose).toBeNull();
    expect(h.clock.pending).toBe(0);
    h.clock.advance(3_600_000);
    expect(h.sockets).toHaveLength(1);
    h.network.set(true);
    expect(h.sockets).toHaveLength(2);
    expect(h.conn.state).toEqual({ status: 'connecting', attempt: 1 });
  });

  it('goes offline from backoff and from connecting, cancelling their timers', () => {
    const h = setup();
    h.conn.connect();
    h.socket.serverClose(1006);
    expect(h.conn.state.status).toBe('backoff');
    h.network.set(false);
    expect(h.conn.state.status).toBe('offline');
    expect(h.clock.pending).toBe(0);
    h.network.set(true);
    expect(h.conn.state.status).toBe('connecting');
    h.network.set(false);
    expect(h.conn.state.status).toBe('offline');
    expect(h.clock.pending).toBe(0);
  });

  it('connect() with no network waits offline without creating a socket', () => {
    const h = setup();
    h.network.set(false);
    h.conn.connect();
    expect(h.conn.state).toEqual({ status: 'offline' });
    expect(h.sockets).toHaveLength(0);
    h.network.set(true);
    expect(h.sockets).toHaveLength(1);
  });

  it('a failure noticed while the network is down goes offline, not into backoff', () => {
    const h = setup();
    h.conn.connect();
    h.network.isOnline = () => false; // navigator.onLine already false, its event not delivered yet
    h.socket.serverClose(1006);
    expect(h.conn.state).toEqual({ status: 'offline' });
    expect(h.clock.pending).toBe(0);
  });

  it('an online event during backoff connects at once, keeping the attempt count', () => {
    const h = setup();
    h.conn.connect();
    h.clock.advance(failTry(h));
    failTry(h); // backoff, attempt 2, waiting 1000 ms
    h.network.set(true);
    expect(h.sockets).toHaveLength(3);
    expect(h.conn.state).toEqual({ status: 'connecting', attempt: 3 });
    expect(h.clock.pending).toBe(1); // the retry timer is gone; only the connect timeout remains
  });

  it('ignores network events while idle', () => {
    const h = setup();
    h.network.set(false);
    h.network.set(true);
    expect(h.sockets).toHaveLength(0);
    expect(h.states).toEqual([]);
  });
});
