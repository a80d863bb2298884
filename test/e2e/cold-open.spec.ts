/**
 * Cold open: a tab paints the latest page of a conversation from the snapshot the engine keeps,
 * before the engine is up, and the live result replaces it. The snapshot never shows a message the
 * database does not hold, and is per user.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
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

type W = Window & {
  client: any;
  latest: Record<string, { id: string }[]>;
  watch(cid: string, limit?: number): () => void;
  steps: { kind: 'snapshot' | 'attached' | 'live'; ids?: string[] | null }[];
  readSnapshot(q: { user?: string; conversationId: string }): Promise<{ snapshot: true; messages: { id: string }[] } | null>;
  forgetSnapshots(user?: string): Promise<void>;
};

async function openShopConversation(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const { conversation } = await (window as unknown as W).client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    return conversation.id as string;
  });
}

async function sendTexts(page: Page, cid: string, texts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of texts) ids.push(await page.evaluate(async ({ cid, text }) => (await (window as unknown as W).client.send(cid, { type: 'text', text })).id as string, { cid, text }));
  return ids;
}

/** What readSnapshot returns for `user` in `page` right now (ids, or null). */
function snapshotIds(page: Page, cid: string, user = 'alice'): Promise<string[] | null> {
  return page.evaluate(async ({ cid, user }) => (await (window as unknown as W).readSnapshot({ user, conversationId: cid }))?.messages.map((m) => m.id) ?? null, { cid, user });
}

/** Wait until this context has no SharedWorker (its last tab closed): the next tab is cold. */
async function workerGone(browser: Browser, page: Page): Promise<void> {
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  const contextId = targetInfos.find((t) => t.type === 'page' && t.url === page.url())?.browserContextId;
  await page.close();
  await expect
    .poll(async () => (await cdp.send('Target.getTargets')).targetInfos.some((t) => t.type === 'shared_worker' && t.browserContextId === contextId), { timeout: 10_000 })
    .toBe(false);
  await cdp.detach();
}

/** A tab of alice's that has her conversation with the shop, three messages in it, on screen. */
async function aliceWithMessages(context: BrowserContext): Promise<{ tab: Page; cid: string; ids: string[] }> {
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const cid = await openShopConversation(tab);
  const ids = await sendTexts(tab, cid, ['one', 'two', 'three']);
  await tab.evaluate((cid) => (window as unknown as W).watch(cid, 50), cid);
  // The view reads the latest page; the engine saves it as the snapshot shortly after.
  await expect.poll(() => snapshotIds(tab, cid), { timeout: 10_000 }).toEqual(ids);
  return { tab, cid, ids };
}

test('a cold tab paints the snapshot before the engine attaches, and the live result replaces it', async ({ browser }) => {
  const context = await browser.newContext();
  const { tab, cid, ids } = await aliceWithMessages(context);
  await workerGone(browser, tab);

  // The shop answers while alice has no tab open: the snapshot does not have it, the server does.
  const shop = connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub: 'shop-agent', role: 'merchant', shop: 'parley-shop', exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: 'shop-device',
  });
  await shop.authResult;
  const answer = crypto.randomUUID();
  await shop.call('messages.send', { conversationId: cid, clientId: answer, content: { type: 'text', text: 'while away' } });
  shop.close();

  // Hold the engine's script: nothing of the engine can run until it is let through.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await context.route('**/parley/parley-worker.js', async (route) => {
    await held;
    await route.continue();
  });
  const cold = await context.newPage();
  await cold.goto(`${srv.url}/harness/cold.html?as=alice&cid=${cid}`);
  await cold.waitForFunction(() => (window as unknown as W).steps?.length > 0);
  expect(await cold.evaluate(() => (window as unknown as W).steps)).toEqual([{ kind: 'snapshot', ids }]);

  release();
  await cold.waitForFunction((answer) => (window as unknown as W).steps.some((s) => s.kind === 'live' && s.ids?.includes(answer)), answer, { timeout: 15_000 });
  const steps = await cold.evaluate(() => (window as unknown as W).steps);
  expect(steps[0]).toEqual({ kind: 'snapshot', ids });
  expect(steps[1]).toEqual({ kind: 'attached' });
  expect(steps.at(-1)!.ids).toEqual([...ids, answer]);
  await context.close();
});

test('a deleted pending message leaves the snapshot before it leaves the database, and never comes back', async ({ browser }) => {
  const context = await browser.newContext();
  const { tab, cid, ids } = await aliceWithMessages(context);
  // Offline, a send stays pending: it can be deleted.
  await srv.down();
  await tab.waitForFunction(() => (window as unknown as W).client.state.status !== 'online');
  const [pending] = await sendTexts(tab, cid, ['never mind']);
  await expect.poll(() => snapshotIds(tab, cid), { timeout: 10_000 }).toEqual([...ids, pending]);

  await tab.evaluate((id) => (window as unknown as W).client.deletePending(id), pending!);
  // Gone once deletePending resolved, before the view has re-read the page.
  expect(await snapshotIds(tab, cid)).toBeNull();
  // Saved again from the database after the view's next read: without it.
  await expect.poll(() => snapshotIds(tab, cid), { timeout: 10_000 }).toEqual(ids);
  await srv.up();
  await context.close();
});

test("a second user does not see the first one's snapshot", async ({ browser }) => {
  const context = await browser.newContext();
  const { tab, cid, ids } = await aliceWithMessages(context);
  expect(await snapshotIds(tab, cid, 'alice')).toEqual(ids);
  expect(await snapshotIds(tab, cid, 'bob')).toBeNull();
  // Bob's own engine, on the same browser profile, neither reads nor removes alice's.
  const bob = await openTab(context, srv.url, { as: 'bob' });
  await waitForStatus(bob, 'online');
  expect(await snapshotIds(bob, cid, 'bob')).toBeNull();
  expect(await snapshotIds(bob, cid, 'alice')).toEqual(ids);
  // Alice logs out: her snapshot goes, and the next cold tab paints nothing of hers.
  await tab.evaluate(() => (window as unknown as W).client.close());
  await bob.evaluate(() => (window as unknown as W).forgetSnapshots('alice'));
  expect(await snapshotIds(bob, cid, 'alice')).toBeNull();
  await context.close();
});
