/**
 * Signing out on a shared computer: a wiping sign-out from one of three tabs (one of them frozen)
 * leaves every tab signed out with empty views and nothing of the user in the browser; unsent
 * messages are reported before they would be dropped; a wipe cut short is finished at the next start.
 */
import { expect, test, type Page } from '@playwright/test';
import { TcpProxy } from '../support/tcpProxy';
import { openShopTab, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type Client = {
  state: { status: string };
  unsentCount(): Promise<number>;
  signOut(o: { wipe?: boolean; discardUnsent?: boolean }): Promise<{ dropped: number }>;
};
const statusOf = (page: Page) => page.evaluate(() => (window as unknown as { parley: Client }).parley.state.status);
const databases = (page: Page) => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
const send = async (page: Page, text: string) => {
  await page.locator('parley-chat-widget textarea.input').fill(text);
  await page.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
};

test('a wiping sign-out from one of three tabs, one frozen: every tab signed out and empty, nothing left in the browser', async ({ browser }) => {
  const profile = await browser.newContext();
  const tabs = [await openShopTab(profile, srv.url), await openShopTab(profile, srv.url), await openShopTab(profile, srv.url)].map((t) => t.page);
  await send(tabs[0]!, 'my card ends 4242');
  for (const t of tabs) await expect(t.locator('parley-chat-widget li.message')).toContainText(['my card ends 4242']);
  await tabs[1]!.locator('parley-chat-widget textarea.input').fill('a draft');
  await tabs[0]!.evaluate(async () => void (await caches.open('parley-media-demo')).put('/media/x', new Response('bytes')));
  expect(await databases(tabs[0]!)).toContain('parley-alice');

  const frozen = await profile.newCDPSession(tabs[2]!);
  await frozen.send('Page.setWebLifecycleState', { state: 'frozen' });
  const result = await tabs[0]!.evaluate(() => (window as unknown as { parley: Client }).parley.signOut({ wipe: true }));
  expect(result).toEqual({ dropped: 0 });

  for (const t of tabs.slice(0, 2)) {
    await expect.poll(() => statusOf(t)).toBe('signed_out');
    await expect(t.locator('parley-chat-widget li.message')).toHaveCount(0);
  }
  await expect.poll(() => databases(tabs[0]!)).not.toContain('parley-alice');
  expect(await tabs[0]!.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parley.draft:alice:')))).toEqual([]);
  expect(await tabs[0]!.evaluate(() => caches.keys())).not.toContain('parley-media-demo');
  // The frozen tab catches up when it runs again.
  await frozen.send('Page.setWebLifecycleState', { state: 'active' });
  await expect.poll(() => statusOf(tabs[2]!)).toBe('signed_out');
  await expect(tabs[2]!.locator('parley-chat-widget li.message')).toHaveCount(0);
  await profile.close();
});

test('a wipe reports unsent messages first and drops them only when told to', async ({ browser }) => {
  const proxy = new TcpProxy(srv.port);
  await proxy.start();
  const profile = await browser.newContext();
  const { page } = await openShopTab(profile, `http://127.0.0.1:${proxy.port}`);
  proxy.setMode('refuse');
  await expect.poll(() => statusOf(page)).not.toBe('online');
  await send(page, 'not sent yet');
  await expect(page.locator('parley-chat-widget li.message[data-state="pending"]')).toHaveCount(1);
  expect(await page.evaluate(() => (window as unknown as { parley: Client }).parley.unsentCount())).toBe(1);
  const refused = await page.evaluate(() => (window as unknown as { parley: Client }).parley.signOut({ wipe: true }).then(() => 'signed out', (e: { code?: string }) => e.code));
  expect(refused).toBe('UNSENT_MESSAGES');
  expect(await statusOf(page)).not.toBe('signed_out');
  expect(await page.evaluate(() => (window as unknown as { parley: Client }).parley.signOut({ wipe: true, discardUnsent: true }))).toEqual({ dropped: 1 });
  await expect.poll(() => statusOf(page)).toBe('signed_out');
  await profile.close();
  await proxy.close();
});

test('a wipe cut short (its journal entry written, then everything died) is finished before the database opens again', async ({ browser }) => {
  const profile = await browser.newContext();
  const first = (await openShopTab(profile, srv.url)).page;
  await send(first, 'deleted for me only');
  const mine = first.locator('parley-chat-widget li.message', { hasText: 'deleted for me only' });
  await expect(mine).toHaveAttribute('data-state', /sent|delivered|read/);
  // A state only this database holds: the message deleted for me here.
  await mine.hover();
  await mine.getByRole('button', { name: 'Delete for me' }).click();
  await expect(first.locator('parley-chat-widget li.message')).toHaveCount(0);
  // The wipe began (its journal entry is written first), then the browser's tabs all closed.
  await first.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('parley-wipes', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('pending');
        open.onsuccess = () => {
          const tx = open.result.transaction('pending', 'readwrite');
          tx.objectStore('pending').put(Date.now(), 'alice');
          tx.oncomplete = () => (open.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
  await first.close();
  // The worker is gone once its socket is (the last tab closed).
  await expect.poll(async () => (await (await fetch(`${srv.url}/metrics`)).text()).match(/parley_ws_connections (\d+)/)?.[1], { timeout: 15_000 }).toBe('0');

  // The next start finishes the wipe first: the database is new, so the message comes back from the
  // server's head, and the journal entry is gone.
  const again = (await openShopTab(profile, srv.url)).page;
  await expect(again.locator('parley-chat-widget li.message')).toContainText(['deleted for me only']);
  const pending = await again.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('parley-wipes', 1);
        open.onsuccess = () => {
          const r = open.result.transaction('pending').objectStore('pending').count('alice');
          r.onsuccess = () => (open.result.close(), resolve(r.result));
          r.onerror = () => reject(r.error);
        };
      }),
  );
  expect(pending).toBe(0);
  await profile.close();
});
