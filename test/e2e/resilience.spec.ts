/**
 * The connection's lifecycle in real Chromium: server restart, a half-open link, a kick from
 * another browser, and a request the server never answers.
 */
import { expect, test } from '@playwright/test';
import { TcpProxy } from '../support/tcpProxy';
import { openTab, startE2EServer, stateOf, waitForStatus, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type Ev = { at: number; type: string; state?: { status: string } };
type W = Window & { client: any; events: Ev[] };

test('after a server restart every tab is back online within the backoff bound', async ({ browser }) => {
  const context = await browser.newContext();
  // backoff 200 ms doubling to at most 1 s, so six attempts span well under 10 s.
  const tabs = [await openTab(context, srv.url, { backoff: 200, maxBackoff: 1000 }), await openTab(context, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');
  const restartedAt = Date.now();
  await srv.restart();
  for (const t of tabs) {
    await t.waitForFunction((since) => (window as unknown as W).events.some((e) => e.at >= since && e.type === 'connect_success'), restartedAt, { timeout: 10_000 });
    expect((await stateOf(t)).status).toBe('online');
    // It noticed the drop (not a stale 'online' that never changed).
    const sawDrop = await t.evaluate((since) => (window as unknown as W).events.some((e) => e.at >= since && e.type === 'connect_failure'), restartedAt);
    expect(sawDrop).toBe(true);
  }
  expect(await srv.metric('parley_ws_connections')).toBe(1);
  await context.close();
});

test('a half-open link is detected within heartbeat timeout plus one interval, then reconnects', async ({ browser }) => {
  const proxy = new TcpProxy(srv.port);
  await proxy.start();
  const base = `http://127.0.0.1:${proxy.port}`;
  const context = await browser.newContext();
  const tab = await openTab(context, base, { hb: 1000, hbt: 1000, backoff: 100, maxBackoff: 500 });
  await waitForStatus(tab, 'online');

  const cutAt = Date.now();
  proxy.setMode('blackhole'); // sockets stay open, no byte passes either way
  await tab.waitForFunction(() => (window as unknown as W).client.state.status !== 'online', undefined, { timeout: 5_000 });
  const detectedAfter = (await tab.evaluate(() => Date.now())) - cutAt;
  expect(detectedAfter).toBeLessThanOrEqual(1000 + 1000 + 500); // timeout + interval + scheduling slack

  proxy.setMode('forward');
  await waitForStatus(tab, 'online');
  await context.close();
  await proxy.close();
});

test('a login of the same user in another browser kicks every tab of the first, for good', async ({ browser }) => {
  const first = await browser.newContext();
  const tabs = [await openTab(first, srv.url), await openTab(first, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');

  const second = await browser.newContext();
  const other = await openTab(second, srv.url);
  await waitForStatus(other, 'online');
  for (const t of tabs) {
    await waitForStatus(t, 'kicked');
    expect(await stateOf(t)).toMatchObject({ status: 'kicked', reason: 'LOGGED_IN_ELSEWHERE' });
  }
  // Kicked is terminal: no reconnect loop that would kick the new login back.
  await other.waitForTimeout(2_000);
  for (const t of tabs) expect((await stateOf(t)).status).toBe('kicked');
  expect((await stateOf(other)).status).toBe('online');
  expect(await srv.metric('parley_ws_connections')).toBe(1);
  await first.close();
  await second.close();
});

test('a request the server never answers rejects with REQUEST_TIMEOUT at the configured time', async ({ browser }) => {
  srv.server.hooks!.neverAnswer.add('conversations.list');
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const outcome = await tab.evaluate(async () => {
    const started = performance.now();
    try {
      await (window as unknown as W).client.request('conversations.list', { limit: 10, offset: 0 }, { timeoutMs: 1500 });
      return { code: 'resolved', elapsed: performance.now() - started };
    } catch (err) {
      return { code: (err as { code?: string }).code, name: (err as Error).name, elapsed: performance.now() - started };
    }
  });
  expect(outcome.code).toBe('REQUEST_TIMEOUT');
  expect(outcome.name).toBe('ParleyError');
  expect(outcome.elapsed).toBeGreaterThanOrEqual(1500);
  expect(outcome.elapsed).toBeLessThan(2500);
  // The connection itself is fine: other requests still work.
  const ok = await tab.evaluate(() => (window as unknown as W).client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' }).then(() => true));
  expect(ok).toBe(true);
  await context.close();
});
