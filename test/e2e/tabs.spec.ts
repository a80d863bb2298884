/**
 * One socket for all tabs: through a SharedWorker, and through leader election where
 * SharedWorker is missing.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { signToken } from '../../server';
import { connectClient } from '../support/wireClient';
import { closeSharedWorker, E2E_SECRET, eventMark, eventsSince, openTab, startE2EServer, waitForEventSince, waitForStatus, type E2EServer, type HarnessEvent } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type W = Window & { client: any; events: (HarnessEvent & { event?: any })[] };

/** Open alice's conversation with the shop from a tab; returns its id. */
async function openShopConversation(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const { conversation } = await (window as unknown as W).client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    return conversation.id as string;
  });
}

async function sendText(page: Page, conversationId: string, text: string): Promise<string> {
  return page.evaluate(
    async ({ conversationId, text }) => {
      const clientId = crypto.randomUUID();
      await (window as unknown as W).client.request('messages.send', { conversationId, clientId, content: { type: 'text', text } });
      return clientId;
    },
    { conversationId, text },
  );
}

async function waitForMessage(page: Page, clientId: string): Promise<void> {
  await page.waitForFunction(
    (id) => (window as unknown as W).events.some((e) => e.type === 'receive' && e.event?.kind === 'message' && e.event.message.id === id),
    clientId,
    { timeout: 10_000 },
  );
}

test('three tabs share one socket; events reach all; the last tab keeps working; a new tab reconnects', async ({ browser }) => {
  const context = await browser.newContext();
  const tabs = [await openTab(context, srv.url), await openTab(context, srv.url), await openTab(context, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');
  expect(await srv.metric('parley_ws_connections')).toBe(1);
  for (const t of tabs) expect(await t.evaluate(() => (window as unknown as W).client.transport)).toBe('shared-worker');

  const conversationId = await openShopConversation(tabs[0]!);
  const first = await sendText(tabs[1]!, conversationId, 'hello from tab 2');
  for (const t of tabs) await waitForMessage(t, first);

  await tabs[0]!.close();
  await tabs[1]!.close();
  const second = await sendText(tabs[2]!, conversationId, 'still here');
  await waitForMessage(tabs[2]!, second);
  expect(await srv.metric('parley_ws_connections')).toBe(1);

  await tabs[2]!.close();
  // The last tab gone, the SharedWorker ends and its socket with it.
  await expect.poll(() => srv.metric('parley_ws_connections'), { timeout: 10_000 }).toBe(0);
  const again = await openTab(context, srv.url);
  await waitForStatus(again, 'online');
  expect(await srv.metric('parley_ws_connections')).toBe(1);
  await context.close();
});

test('without SharedWorker one elected tab holds the only socket, and hands over without losing an event', async ({ browser }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    delete (window as { SharedWorker?: unknown }).SharedWorker;
  });
  const tabs = [await openTab(context, srv.url), await openTab(context, srv.url), await openTab(context, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');
  expect(await srv.metric('parley_ws_connections')).toBe(1);
  const kinds = await Promise.all(tabs.map((t) => t.evaluate(() => (window as unknown as W).client.transport as string)));
  expect(kinds.filter((k) => k === 'leader')).toHaveLength(1);
  expect(kinds.filter((k) => k === 'follower')).toHaveLength(2);

  const leader = tabs[kinds.indexOf('leader')]!;
  const others = tabs.filter((t) => t !== leader);
  const conversationId = await openShopConversation(others[0]!);
  const before = await sendText(others[0]!, conversationId, 'before handover');
  for (const t of tabs) await waitForMessage(t, before);

  const marks = await Promise.all(others.map(eventMark));
  await leader.close();
  // The shop answers while the new leader is still taking over: the server must replay it.
  const shop = connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub: 'shop-agent', role: 'merchant', shop: 'parley-shop', exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: 'shop-device',
  });
  await shop.authResult;
  const during = crypto.randomUUID();
  await shop.call('messages.send', { conversationId, clientId: during, content: { type: 'text', text: 'during handover' } });
  shop.close();

  // Each remaining tab hears the new leader's engine come online.
  for (const [i, t] of others.entries()) await waitForEventSince(t, marks[i]!, 'connect_success');
  const newKinds = await Promise.all(others.map((t) => t.evaluate(() => (window as unknown as W).client.transport as string)));
  expect(newKinds.filter((k) => k === 'leader')).toHaveLength(1);
  await expect.poll(() => srv.metric('parley_ws_connections'), { timeout: 10_000 }).toBe(1);
  const after = await sendText(others[0]!, conversationId, 'after handover');
  for (const t of others) {
    await waitForMessage(t, during);
    await waitForMessage(t, after);
  }
  await context.close();
});

test('a closed tab is forgotten: after a drop the token comes from a live tab, with no attempt left waiting on a closed one', async ({ browser }) => {
  const context = await browser.newContext();
  // The oldest tab starts the engine, so its options hold: an attempt that is not online within
  // 4.5 s fails, before the 5 s the engine waits for a token from a tab that does not answer.
  const oldest = await openTab(context, srv.url, { backoff: 100, maxBackoff: 300, connectTimeout: 4500 });
  const newer = [await openTab(context, srv.url), await openTab(context, srv.url)];
  await waitForStatus(oldest, 'online');
  // The engine asks the newest tab first: had it kept the closed ones, each attempt would wait on them.
  for (const t of newer) await t.close();
  const tokenCalls = () => oldest.evaluate(() => (window as unknown as { tokenCalls: number }).tokenCalls);
  const callsBefore = await tokenCalls();
  const mark = await eventMark(oldest);
  await srv.restart();
  // Back online, or an attempt timed out waiting for a token (then the check below says so at once).
  await oldest.waitForFunction(
    (m) => (window as unknown as W).events.slice(m).some((e) => e.type === 'connect_success' || (e.type === 'connect_failure' && e.code === 'REQUEST_TIMEOUT')),
    mark,
  );
  const failures = (await eventsSince(oldest, mark)).filter((e) => e.type === 'connect_failure').map((e) => e.code);
  // Only the drop and refused sockets while the server restarted: no attempt ran out of time.
  expect(failures.filter((code) => code !== 'DISCONNECTED')).toEqual([]);
  expect((await eventsSince(oldest, mark)).some((e) => e.type === 'connect_success')).toBe(true);
  // The reconnect's token came from the one live tab.
  expect(await tokenCalls()).toBe(callsBefore + 1);
  await context.close();
});

test('a tab reattaches to a fresh engine when the SharedWorker is killed', async ({ browser }) => {
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const mark = await eventMark(tab);
  const { cdp, contextId, workerId } = await closeSharedWorker(browser, tab);
  await waitForEventSince(tab, mark, 'connect_success');
  // The browser may list the new worker's target a moment after it starts serving.
  const workerIds = async () =>
    (await cdp.send('Target.getTargets')).targetInfos
      .filter((t) => t.type === 'shared_worker' && t.browserContextId === contextId)
      .map((t) => t.targetId);
  await expect.poll(workerIds, { timeout: 5_000 }).toHaveLength(1);
  expect(await workerIds()).not.toContain(workerId);
  const ok = await tab.evaluate(() => (window as unknown as W).client.request('conversations.list', { limit: 1, offset: 0 }).then(() => true));
  expect(ok).toBe(true);
  await context.close();
});

test('a call in flight when the SharedWorker dies is made again on the fresh engine, not left to time out', async ({ browser }) => {
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const cid = await openShopConversation(tab);
  // The server will not answer the next history request: it hangs in the worker, which dies.
  srv.server.hooks!.dropResponses('messages.history', 1);
  await tab.evaluate((cid) => {
    const w = window as unknown as W & { pendingHistory?: Promise<unknown> };
    w.pendingHistory = w.client.request('messages.history', { conversationId: cid, limit: 5 });
  }, cid);
  await closeSharedWorker(browser, tab);

  // A read: made again on the new engine, which the server answers. The old engine died with the
  // only request whose answer was dropped, so an answer at all means the call was made again; left
  // to its port timeout it would have rejected instead.
  const answer = await tab.evaluate(() => (window as unknown as { pendingHistory: Promise<{ messages: unknown[] }> }).pendingHistory);
  expect(answer.messages).toEqual([]);
  await context.close();
});
