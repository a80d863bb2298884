/**
 * The connection's lifecycle in real Chromium: server restart, a half-open link, a kick from
 * another browser, and a request the server never answers. Each checks what happened and in which
 * order; how fast (a wall-clock figure) is bench/'s, and the bounds are the unit tests' on a fake
 * clock (test/unit/connection/).
 */
import { expect, test } from '@playwright/test';
import { TcpProxy } from '../support/tcpProxy';
import { eventMark, eventsSince, openTab, startE2EServer, stateOf, waitForEventSince, waitForStatus, type E2EServer, type HarnessEvent } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type W = Window & { client: any; events: HarnessEvent[] };

/** The statuses of the state events among `events`, in order. */
const statuses = (events: HarnessEvent[]) => events.filter((e) => e.type === 'state').map((e) => (e.state as { status: string }).status);

test('after a server restart every tab notices the drop, backs off without giving up, and is back online on one socket', async ({ browser }) => {
  const context = await browser.newContext();
  const tabs = [await openTab(context, srv.url, { backoff: 200, maxBackoff: 1000 }), await openTab(context, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');
  const marks = await Promise.all(tabs.map(eventMark));
  await srv.restart();
  for (const [i, t] of tabs.entries()) {
    // Back online, or given up (then the sequence below says so at once).
    await t.waitForFunction(
      (mark) => (window as unknown as W).events.slice(mark).some((e) => e.type === 'state' && ['online', 'gave_up'].includes((e.state as { status: string }).status)),
      marks[i]!,
    );
    const events = await eventsSince(t, marks[i]!);
    // Dropped, then only retries (never gave_up), then online: that is the whole story, in order.
    expect(statuses(events).join(' ')).toMatch(/^backoff( (connecting|authenticating|backoff))* online$/);
    const types = events.map((e) => e.type);
    expect(types.indexOf('connect_failure')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('connect_failure')).toBeLessThan(types.indexOf('connect_success'));
    expect(events.find((e) => e.type === 'connect_failure')).toMatchObject({ cause: 'network' });
    expect((await stateOf(t)).status).toBe('online');
  }
  expect(await srv.metric('parley_ws_connections')).toBe(1);
  await context.close();
});

test('a half-open link is found by the heartbeat, not by a close, and the tab reconnects', async ({ browser }) => {
  const proxy = new TcpProxy(srv.port);
  await proxy.start();
  const base = `http://127.0.0.1:${proxy.port}`;
  const context = await browser.newContext();
  const tab = await openTab(context, base, { hb: 1000, hbt: 1000, backoff: 100, maxBackoff: 500 });
  await waitForStatus(tab, 'online');

  const mark = await eventMark(tab);
  proxy.setMode('blackhole'); // sockets stay open, no byte passes either way
  await waitForEventSince(tab, mark, 'connect_failure');
  // The socket never closed: only an unanswered ping can have ended the session. (How soon is the
  // half-open benchmark's figure, and the bound is reconnect.test.ts's on a fake clock.)
  const [failure] = (await eventsSince(tab, mark)).filter((e) => e.type === 'connect_failure');
  expect(failure).toMatchObject({ cause: 'network', code: 'DISCONNECTED', message: 'no frame from the server within 1000 ms of a ping' });

  proxy.cutAll();
  proxy.setMode('forward');
  await waitForEventSince(tab, mark, 'connect_success');
  await context.close();
  await proxy.close();
});

test('a login of the same user in another browser kicks every tab of the first, which stop asking the server', async ({ browser }) => {
  const first = await browser.newContext();
  const tabs = [await openTab(first, srv.url), await openTab(first, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');

  const second = await browser.newContext();
  const other = await openTab(second, srv.url);
  await waitForStatus(other, 'online');
  for (const t of tabs) {
    await waitForStatus(t, 'kicked');
    expect(await stateOf(t)).toMatchObject({ status: 'kicked', reason: 'LOGGED_IN_ELSEWHERE' });
    // Kicked is terminal: a request fails with DISCONNECTED at once, where a connection that will
    // come back keeps it queued (and it would end in REQUEST_TIMEOUT). That no reconnect is ever
    // scheduled by itself is terminal.test.ts's, on a fake clock.
    const code = await t.evaluate(() =>
      (window as unknown as W).client.request('conversations.list', { limit: 1, offset: 0 }).then(
        () => 'resolved',
        (err: { code?: string }) => err.code,
      ),
    );
    expect(code).toBe('DISCONNECTED');
  }
  // One socket served both tabs: one kick, and the new login holds the only socket.
  expect(await srv.metric('parley_kicks_total', 'reason="LOGGED_IN_ELSEWHERE"')).toBe(1);
  expect((await stateOf(other)).status).toBe('online');
  expect(await srv.metric('parley_ws_connections')).toBe(1);
  await first.close();
  await second.close();
});

test('requests the server never answers reject with REQUEST_TIMEOUT in the order of their timeouts, the default included', async ({ browser }) => {
  srv.server.hooks!.neverAnswer.add('conversations.list');
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url, { timeout: 2000 }); // the engine's default timeout
  await waitForStatus(tab, 'online');
  const outcomes = await tab.evaluate(async () => {
    const settled: { label: string; code?: string; name: string; elapsed: number }[] = [];
    const ask = async (label: string, timeoutMs?: number) => {
      const started = performance.now();
      try {
        await (window as unknown as W).client.request('conversations.list', { limit: 10, offset: 0 }, timeoutMs ? { timeoutMs } : {});
        settled.push({ label, code: 'resolved', name: '', elapsed: performance.now() - started });
      } catch (err) {
        settled.push({ label, code: (err as { code?: string }).code, name: (err as Error).name, elapsed: performance.now() - started });
      }
    };
    await Promise.all([ask('3000', 3000), ask('default'), ask('1500', 1500)]);
    return settled;
  });
  // Each used its own timeout: they settle by timeout, not by call order, and none settles early.
  expect(outcomes.map((o) => o.label)).toEqual(['1500', 'default', '3000']);
  for (const o of outcomes) expect(o).toMatchObject({ code: 'REQUEST_TIMEOUT', name: 'ParleyError' });
  const bound = { '1500': 1500, default: 2000, '3000': 3000 } as Record<string, number>;
  for (const o of outcomes) expect(o.elapsed).toBeGreaterThanOrEqual(bound[o.label]!);
  // The connection itself is fine: other requests still work.
  const ok = await tab.evaluate(() => (window as unknown as W).client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' }).then(() => true));
  expect(ok).toBe(true);
  await context.close();
});
