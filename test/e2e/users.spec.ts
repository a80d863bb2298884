/**
 * Two users in one browser profile (a shared family computer), side by side in tabs of one
 * context: each has their own engine, socket and database, and neither sees the other's messages,
 * search hits or drafts.
 */
import { expect, test } from '@playwright/test';
import { openShopTab, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type Client = {
  search(q: string): Promise<unknown[]>;
  diagnostics(): Promise<{ conversations: { id: string }[] }>;
  watchConversations(l: (list: { id: string; title: string }[]) => void): () => void;
};

test("a second user in the same profile has their own engine and database and never sees the first user's data", async ({ browser }) => {
  const profile = await browser.newContext();
  const alice = await openShopTab(profile, srv.url, 'alice');
  await alice.page.locator('parley-chat-widget textarea.input').fill('my address is 12 Secret Lane');
  await alice.page.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
  await expect(alice.page.locator('parley-chat-widget li.message')).toContainText(['my address is 12 Secret Lane']);
  await alice.page.locator('parley-chat-widget textarea.input').fill('a draft only alice wrote');

  const bob = await openShopTab(profile, srv.url, 'bob');
  expect(bob.conversationId).not.toBe(alice.conversationId);
  await bob.page.locator('parley-chat-widget textarea.input').fill('hello from bob');
  await bob.page.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
  await expect(bob.page.locator('parley-chat-widget li.message')).toHaveText([/hello from bob/]);
  await expect(bob.page.locator('parley-chat-widget textarea.input')).toHaveValue('');

  // Bob's engine and database hold none of Alice's: not her conversation, not her text.
  const bobSees = await bob.page.evaluate(async () => {
    const c = (window as unknown as { parley: Client }).parley;
    const diagnostics = await c.diagnostics();
    const list = await new Promise<{ id: string; title: string }[]>((resolve) => {
      const off = c.watchConversations((l) => {
        queueMicrotask(off);
        resolve(l);
      });
    });
    return { hits: await c.search('Secret'), conversations: diagnostics.conversations.map((x) => x.id), titles: list.map((x) => x.title) };
  });
  expect(bobSees.hits).toEqual([]);
  expect(bobSees.conversations).toEqual([bob.conversationId]);
  expect(bobSees.titles.join()).not.toMatch(/alice/i);
  // Alice still has hers; each user is a database of their own in this profile.
  expect(await alice.page.evaluate(() => (window as unknown as { parley: Client }).parley.search('Secret').then((h) => h.length))).toBe(1);
  const databases = await bob.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
  expect(databases).toEqual(expect.arrayContaining(['parley-alice', 'parley-bob']));
  // One engine per user: two workers, two sockets.
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  expect(metrics).toMatch(/parley_ws_connections 2\b/);
  await profile.close();
});
