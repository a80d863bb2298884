/**
 * The views tabs hold, in real Chromium: a pushed message reaches them before the worker's
 * database has committed it, tabs watching the same conversation share one query, and a receipt
 * patches the row it changes in place. Order on the tab's events port decides, never a clock.
 */
import { expect, test, type Page } from '@playwright/test';
import { signToken } from '../../server';
import { connectClient } from '../support/wireClient';
import { E2E_SECRET, openTab, startE2EServer, waitForStatus, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type LogEntry = { t: 'event'; type: string; cursor?: number; stored?: boolean; id?: string } | { t: 'view'; rows: { id: string; unstored: boolean; state: string }[] };
type W = Window & {
  client: any;
  log: LogEntry[];
  views: any[][];
  latest: Record<string, { id: string; state: string }[]>;
  watch: (cid: string, limit?: number) => void;
};

async function openShopConversation(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const { conversation } = await (window as unknown as W).client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    return conversation.id as string;
  });
}

async function shopAgent() {
  const shop = connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub: 'shop-agent', role: 'merchant', shop: 'parley-shop', exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: 'shop-device',
  });
  await shop.authResult;
  return shop;
}

/** One log of the tab's events and view updates, in the order the tab got them. */
async function recordInOrder(page: Page, conversationId: string): Promise<void> {
  await page.evaluate((cid) => {
    const w = window as unknown as W;
    w.log = [];
    w.views = [];
    w.client.on('*', (e: any) =>
      w.log.push({ t: 'event', type: e.type, cursor: e.cursor, stored: e.stored, id: e.type === 'receive' && e.event.kind === 'message' ? e.event.message.id : undefined }),
    );
    w.client.watchMessages(cid, (ms: any[]) => {
      w.views.push(ms);
      w.log.push({ t: 'view', rows: ms.map((m) => ({ id: m.id, unstored: m.unstored === true, state: m.state })) });
    });
  }, conversationId);
  await page.waitForFunction(() => (window as unknown as W).views.length > 0);
}

test('a pushed message reaches the view and the receive listener before its local commit completes', async ({ browser }) => {
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const conversationId = await openShopConversation(tab);
  await recordInOrder(tab, conversationId);
  const shop = await shopAgent();
  const id = crypto.randomUUID();
  await shop.call('messages.send', { conversationId, clientId: id, content: { type: 'text', text: 'seen before stored' } });
  shop.close();

  await tab.waitForFunction((id) => (window as unknown as W).log.some((e) => e.t === 'view' && e.rows.some((r) => r.id === id && !r.unstored)), id);
  const log = await tab.evaluate(() => (window as unknown as W).log);
  const receive = log.findIndex((e) => e.t === 'event' && e.type === 'receive' && e.id === id);
  expect(receive).toBeGreaterThanOrEqual(0);
  const cursor = (log[receive] as { cursor: number }).cursor;
  expect(log[receive]).toMatchObject({ stored: false });
  const stored = log.findIndex((e) => e.t === 'event' && e.type === 'stored' && e.cursor! >= cursor);
  const shownUnstored = log.findIndex((e) => e.t === 'view' && e.rows.some((r) => r.id === id && r.unstored));
  const shownStored = log.findIndex((e) => e.t === 'view' && e.rows.some((r) => r.id === id && !r.unstored));
  // The view and the listener had it first; the commit was announced after; then the stored row replaced the preview.
  expect(shownUnstored).toBeGreaterThanOrEqual(0);
  expect(shownUnstored).toBeLessThan(stored);
  expect(receive).toBeLessThan(stored);
  expect(stored).toBeLessThan(shownStored);
  await context.close();
});

test('two tabs watching one conversation share one query and one result', async ({ browser }) => {
  const context = await browser.newContext();
  const first = await openTab(context, srv.url);
  await waitForStatus(first, 'online');
  const conversationId = await openShopConversation(first);
  await first.evaluate((cid) => (window as unknown as W).watch(cid, 50), conversationId);
  await first.waitForFunction((cid) => (window as unknown as W).latest[cid] !== undefined, conversationId);
  const second = await openTab(context, srv.url);
  await second.evaluate((cid) => (window as unknown as W).watch(cid, 50), conversationId);
  await second.waitForFunction((cid) => (window as unknown as W).latest[cid] !== undefined, conversationId);

  // Each tab watches the conversation list and this conversation: two queries, four subscriptions.
  const live = await second.evaluate(async () => (await (window as unknown as W).client.diagnostics()).live);
  expect(live).toMatchObject({ queries: 2, listeners: 4 });
  const views = await Promise.all([first, second].map((t) => t.evaluate((cid) => (window as unknown as W).latest[cid], conversationId)));
  expect(views[1]).toEqual(views[0]);
  await context.close();
});

test('a read receipt patches the row it changes; the other rows stay the objects the tab had', async ({ browser }) => {
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const conversationId = await openShopConversation(tab);
  const shop = await shopAgent();
  const fromShop = crypto.randomUUID();
  const { message } = await shop.call('messages.send', { conversationId, clientId: fromShop, content: { type: 'text', text: 'hello' } });
  await recordInOrder(tab, conversationId);
  await tab.waitForFunction((id) => (window as unknown as W).views.at(-1)!.some((m) => m.id === id && !m.unstored), fromShop);
  const mine = await tab.evaluate(async (cid) => (await (window as unknown as W).client.send(cid, { type: 'text', text: 'a question' })).id as string, conversationId);
  await tab.waitForFunction((id) => (window as unknown as W).views.at(-1)!.some((m) => m.id === id && m.seq !== null), mine);

  await shop.call('conversations.markRead', { conversationId, upToSeq: (message as { seq: number }).seq + 1 });
  shop.close();
  await tab.waitForFunction((id) => (window as unknown as W).views.at(-1)!.some((m) => m.id === id && m.state === 'read'), mine);
  const identity = await tab.evaluate(
    ({ mine, fromShop }) => {
      const views = (window as unknown as W).views;
      const after = views.findIndex((v) => v.some((m) => m.id === mine && m.state === 'read'));
      const before = views[after - 1]!;
      const now = views[after]!;
      const row = (v: any[], id: string) => v.find((m) => m.id === id);
      return { shopRowKept: row(before, fromShop) === row(now, fromShop), mineReplaced: row(before, mine) !== row(now, mine), length: now.length };
    },
    { mine, fromShop },
  );
  expect(identity).toEqual({ shopRowKept: true, mineReplaced: true, length: 2 });
  await context.close();
});
