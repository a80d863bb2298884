/**
 * The local store in real Chromium: sends survive reloads and outages and are delivered exactly
 * once in order; duplicate and missing pushes; unread state across tabs; the worker killed
 * mid-burst; storage quota exhausted.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { signToken } from '../../server';
import { TcpProxy } from '../support/tcpProxy';
import { connectClient } from '../support/wireClient';
import { E2E_SECRET, openTab, startE2EServer, waitForStatus, type E2EServer } from './fixtures';

type Msg = { id: string; seq: number | null; state: string; content: { type: string; text?: string } };
type W = Window & {
  client: any;
  latest: Record<string, Msg[]>;
  conversations: { id: string; unread: number; readSeq: number }[] | null;
  watch(cid: string, limit?: number): () => void;
};

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

/** Tabs that tolerate a long outage: quick retries, many attempts. */
const PATIENT = { backoff: 100, maxBackoff: 500, attempts: 1000 };

async function openConversation(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const { conversation } = await (window as unknown as W).client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    (window as unknown as W).watch(conversation.id);
    return conversation.id as string;
  });
}

function watch(page: Page, cid: string) {
  return page.evaluate((cid) => void (window as unknown as W).watch(cid), cid);
}

function send(page: Page, cid: string, text: string): Promise<Msg> {
  return page.evaluate(({ cid, text }) => (window as unknown as W).client.send(cid, { type: 'text', text }), { cid, text });
}

/** Wait until the tab's live view of the conversation satisfies `pred`, then return it. */
async function viewWhen(page: Page, cid: string, pred: string, arg: unknown = null, timeout = 15_000): Promise<Msg[]> {
  await page.waitForFunction(
    ({ cid, pred, arg }) => {
      const m = (window as unknown as W).latest[cid];
      return !!m && (new Function('m', 'arg', `return (${pred})(m, arg)`) as (m: Msg[], a: unknown) => boolean)(m, arg);
    },
    { cid, pred, arg },
    { timeout },
  );
  return page.evaluate((cid) => (window as unknown as W).latest[cid]!, cid);
}

const texts = (ms: Msg[]) => ms.map((m) => m.content.text);

async function serverTexts(cid: string): Promise<string[]> {
  const { messages } = await srv.server.store.history(cid, undefined, 1000);
  return messages.map((m) => (m.content as { text: string }).text);
}

function shopAgent() {
  const c = connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub: 'shop-agent', role: 'merchant', shop: 'parley-shop', exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: `shop-${Math.random()}`,
  });
  return c;
}

/** Alice online in one tab with her shop conversation open, and the shop agent on a wire client. */
async function aliceWithShop(browser: import('@playwright/test').Browser) {
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const cid = await openConversation(tab);
  const agent = shopAgent();
  await agent.authResult;
  const shopSays = (text: string) => agent.call('messages.send', { conversationId: cid, clientId: crypto.randomUUID(), content: { type: 'text', text } });
  return { context, tab, cid, agent, shopSays };
}

test('sends made while the server is unreachable survive a reload of every tab and arrive once, in order', async ({ browser }) => {
  const proxy = new TcpProxy(srv.port);
  await proxy.start();
  srv.server.config.allowedOrigins = [srv.url];
  const context = await browser.newContext();
  const q = { ...PATIENT, ws: `ws://127.0.0.1:${proxy.port}/ws` };
  const tabs = [await openTab(context, srv.url, q), await openTab(context, srv.url, q)];
  for (const t of tabs) await waitForStatus(t, 'online');
  const cid = await openConversation(tabs[0]!);

  proxy.setMode('refuse');
  for (const t of tabs) await t.waitForFunction(() => (window as unknown as W).client.state.status !== 'online');
  const sent: string[] = [];
  for (let i = 0; i < 20; i++) {
    const text = `offline ${String(i).padStart(2, '0')}`;
    const m = await send(tabs[i % 2]!, cid, text);
    expect(m.state).toBe('pending');
    sent.push(text);
  }
  await Promise.all(tabs.map((t) => t.reload()));
  for (const t of tabs) {
    await t.waitForFunction(() => (window as unknown as W).client !== undefined);
    await watch(t, cid);
    const view = await viewWhen(t, cid, '(m, n) => m.length >= n', 20);
    expect(texts(view)).toEqual(sent);
    expect(view.every((m) => m.state === 'pending')).toBe(true);
  }
  expect(await serverTexts(cid)).toEqual([]);

  proxy.setMode('forward');
  for (const t of tabs) {
    const view = await viewWhen(t, cid, "(m) => m.length === 20 && m.every((x) => x.seq !== null && x.state !== 'pending')");
    expect(texts(view)).toEqual(sent);
    expect(view.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  }
  expect(await serverTexts(cid)).toEqual(sent); // each exactly once, in the order sent
  const agent = shopAgent();
  await agent.authResult;
  const { messages } = await agent.call('messages.history', { conversationId: cid, limit: 100 });
  expect(messages.map((m) => (m.content as { text: string }).text)).toEqual(sent);
  agent.close();
  await context.close();
  await proxy.close();
});

test('three tabs sending at once agree on one order with the server and the receiver', async ({ browser }) => {
  const context = await browser.newContext();
  const tabs = [await openTab(context, srv.url), await openTab(context, srv.url), await openTab(context, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');
  const cid = await openConversation(tabs[0]!);
  for (const t of tabs.slice(1)) await watch(t, cid);
  await Promise.all(
    tabs.map((t, ti) => t.evaluate(async ({ cid, ti }) => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => (window as unknown as W).client.send(cid, { type: 'text', text: `tab${ti}-${i}` })));
    }, { cid, ti })),
  );
  const views = [];
  for (const t of tabs) views.push(texts(await viewWhen(t, cid, '(m) => m.length === 30 && m.every((x) => x.seq !== null)')));
  const server = await serverTexts(cid);
  expect(server).toHaveLength(30);
  expect(new Set(server).size).toBe(30);
  for (const v of views) expect(v).toEqual(server);
  // Each tab's own sends keep their relative order.
  for (let ti = 0; ti < 3; ti++) {
    const mine = server.filter((x) => x!.startsWith(`tab${ti}-`));
    expect(mine).toEqual(Array.from({ length: 10 }, (_, i) => `tab${ti}-${i}`));
  }
  const receiver = await openTab(await browser.newContext(), srv.url, { as: 'shop-agent' });
  await waitForStatus(receiver, 'online');
  await watch(receiver, cid);
  expect(texts(await viewWhen(receiver, cid, '(m) => m.length === 30'))).toEqual(server);
  await context.close();
});

test('a push delivered twice and an ack dropped still store each message once', async ({ browser }) => {
  const { context, tab, cid, agent, shopSays } = await aliceWithShop(browser);
  srv.server.hooks!.duplicatePushes(3);
  for (let i = 0; i < 3; i++) await shopSays(`dup ${i}`);
  // The tab's own send is committed but its response is lost: it is settled by its push, or
  // retried with the same id, and stored once either way.
  srv.server.hooks!.dropResponses('messages.send', 1);
  const own = await send(tab, cid, 'mine');
  const view = await viewWhen(tab, cid, "(m) => m.length === 4 && m.every((x) => x.seq !== null)");
  expect(texts(view)).toEqual(['dup 0', 'dup 1', 'dup 2', 'mine']);
  expect(view.filter((m) => m.id === own.id)).toHaveLength(1);
  expect(await serverTexts(cid)).toEqual(['dup 0', 'dup 1', 'dup 2', 'mine']);
  agent.close();
  await context.close();
});

test('a push lost on the way is noticed from the next one, and replayed', async ({ browser }) => {
  const { context, tab, cid, agent, shopSays } = await aliceWithShop(browser);
  await shopSays('one');
  await viewWhen(tab, cid, '(m) => m.length === 1');
  srv.server.hooks!.skipPushes(1);
  await shopSays('two (push lost)');
  await shopSays('three');
  const view = await viewWhen(tab, cid, '(m) => m.length === 3');
  expect(texts(view)).toEqual(['one', 'two (push lost)', 'three']);
  expect(view.map((m) => m.seq)).toEqual([1, 2, 3]);
  agent.close();
  await context.close();
});

test('unread count and read state agree across tabs', async ({ browser }) => {
  const context = await browser.newContext();
  const tabs = [await openTab(context, srv.url), await openTab(context, srv.url)];
  for (const t of tabs) await waitForStatus(t, 'online');
  const cid = await openConversation(tabs[0]!);
  const agent = shopAgent();
  await agent.authResult;
  for (let i = 0; i < 3; i++) await agent.call('messages.send', { conversationId: cid, clientId: crypto.randomUUID(), content: { type: 'text', text: `hi ${i}` } });
  const unread = (t: Page, n: number) =>
    t.waitForFunction(({ cid, n }) => (window as unknown as W).conversations?.find((c) => c.id === cid)?.unread === n, { cid, n }, { timeout: 10_000 });
  for (const t of tabs) await unread(t, 3);
  await tabs[1]!.evaluate((cid) => (window as unknown as W).client.markRead(cid), cid);
  for (const t of tabs) await unread(t, 0);
  // The shop sees the read receipt.
  await expect.poll(async () => (await srv.server.store.listMembers(cid)).find((m) => m.id === 'alice')?.readSeq, { timeout: 10_000 }).toBe(3);
  agent.close();
  await context.close();
});

test('closing every tab in the middle of 100 sends loses none that were confirmed and duplicates none', async ({ browser }) => {
  const context = await browser.newContext();
  const confirmed = new Set<string>();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const cid = await openConversation(tab);
  await tab.exposeFunction('confirmed', (id: string) => void confirmed.add(id));
  await tab.evaluate((cid) => {
    for (let i = 0; i < 100; i++) {
      void (window as unknown as W).client
        .send(cid, { type: 'text', text: `burst ${i}` })
        .then((m: Msg) => (window as unknown as { confirmed(id: string): void }).confirmed(m.id));
    }
  }, cid);
  await expect.poll(() => confirmed.size, { timeout: 10_000 }).toBeGreaterThan(10);
  await tab.close(); // the only tab: the SharedWorker ends with it, mid-burst
  const stillConfirmed = new Set(confirmed);
  const again = await openTab(context, srv.url);
  await waitForStatus(again, 'online');
  await watch(again, cid);
  await viewWhen(again, cid, "(m) => m.length > 0 && m.every((x) => x.seq !== null)", null, 20_000);
  const { messages } = await srv.server.store.history(cid, undefined, 1000);
  const ids = messages.map((m) => m.id);
  expect(new Set(ids).size).toBe(ids.length); // none duplicated
  for (const id of stillConfirmed) expect(ids).toContain(id); // none confirmed was lost
  await context.close();
});

test('when storage is full the send fails clearly, earlier messages stay, and sending works once space is back', async ({ browser }) => {
  const context = await browser.newContext();
  // Chromium enforces a quota override only if it is set before the origin first opens storage.
  const blank = await context.newPage();
  await blank.goto(`${srv.url}/healthz`);
  const cdp = await context.newCDPSession(blank);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: srv.url, quotaSize: 3 * 1024 * 1024 });
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const cid = await openConversation(tab);
  await send(tab, cid, 'before the disk filled');
  await viewWhen(tab, cid, '(m) => m.length === 1 && m[0].seq !== null');
  // Fill the quota with big messages until a send is refused. Random text: IndexedDB compresses
  // its values, so repetitive text would hardly use any space.
  const outcome = await tab.evaluate(async (cid) => {
    const w = window as unknown as W;
    for (let i = 0; i < 400; i++) {
      try {
        const text = Array.from({ length: 5000 }, () => String.fromCharCode(0x4e00 + Math.floor(Math.random() * 20000))).join('');
        await w.client.send(cid, { type: 'text', text });
      } catch (err) {
        return { code: (err as { code?: string }).code, after: i };
      }
    }
    return { code: 'never full', after: 400 };
  }, cid);
  expect(outcome.code).toBe('STORAGE_FULL');
  expect(outcome.after).toBeGreaterThan(0);
  // Everything stored before the failure is intact, the refused message is not there.
  const view = await viewWhen(tab, cid, '(m, n) => m.length === n + 1', outcome.after);
  expect(texts(view)[0]).toBe('before the disk filled');

  await cdp.send('Storage.overrideQuotaForOrigin', { origin: srv.url, quotaSize: 512 * 1024 * 1024 });
  const again = await send(tab, cid, 'after space came back');
  expect(again.state).toBe('pending');
  const done = await viewWhen(tab, cid, "(m, n) => m.length === n + 2 && m.every((x) => x.seq !== null)", outcome.after);
  expect(texts(done).at(-1)).toBe('after space came back');
  await context.close();
});
