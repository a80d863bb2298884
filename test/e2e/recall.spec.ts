/**
 * Recall and delete-for-me: a recall reaches a device that was offline when it happened (through
 * the push stream once it is back), in every view and in search; a message deleted for me stays
 * gone after a reload.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { TcpProxy } from '../support/tcpProxy';
import { openShopTab, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type Widget = HTMLElement & { show(): Promise<string | null> };
type WithClient = Window & { parley: { search(q: string): Promise<{ id: string }[]>; state: { status: string } } };

const openShop = (context: BrowserContext) => openShopTab(context, srv.url);

const search = (page: Page, q: string) => page.evaluate((text) => (window as unknown as WithClient).parley.search(text), q);

test('a recall reaches every tab of a device that was offline when it happened, and search forgets the text', async ({ browser }) => {
  const shopper = await browser.newContext();
  const staff = await browser.newContext();
  const { page: shop, conversationId } = await openShop(shopper);
  await shop.locator('parley-chat-widget textarea.input').fill('my phone is 555-0199');
  await shop.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();

  // The agent's browser reaches the server through a proxy the test can cut.
  const proxy = new TcpProxy(srv.port);
  await proxy.start();
  const consoles: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const page = await staff.newPage();
    await page.goto(`http://127.0.0.1:${proxy.port}/merchant?as=shop-agent#c=${conversationId}`);
    await expect(page.locator('parley-chat li.message')).toContainText(['my phone is 555-0199']);
    consoles.push(page);
  }
  expect(await search(consoles[0]!, '555-0199')).toHaveLength(1);

  proxy.setMode('refuse');
  await expect.poll(() => consoles[0]!.evaluate(() => (window as unknown as WithClient).parley.state.status)).not.toBe('online');

  const mine = shop.locator('parley-chat-widget li.message', { hasText: 'my phone is 555-0199' });
  await mine.hover();
  await mine.getByRole('button', { name: 'Recall' }).click();
  await expect(shop.locator('parley-chat-widget li.message').first()).toHaveText(/You recalled a message/);
  // Offline, the agent's tabs still show what they stored.
  for (const c of consoles) await expect(c.locator('parley-chat li.message')).toContainText(['my phone is 555-0199']);

  proxy.setMode('forward');
  for (const c of consoles) {
    await expect(c.locator('parley-chat li.message').first()).toHaveText(/Message recalled/, { timeout: 20_000 });
    await expect(c.locator('parley-chat')).not.toContainText('555-0199');
  }
  expect(await search(consoles[1]!, '555-0199')).toEqual([]);
  // The conversation list's preview says so too.
  await expect(consoles[0]!.locator('parley-conversation-list')).toContainText('Message recalled');
  await proxy.close();
  await shopper.close();
  await staff.close();
});

test('delete for me hides a message in every tab of this user only, and a reload does not bring it back', async ({ browser }) => {
  const shopper = await browser.newContext();
  const { page: one, conversationId } = await openShop(shopper);
  const { page: two } = await openShop(shopper);
  for (const text of ['keep this', 'forget this']) {
    await one.locator('parley-chat-widget textarea.input').fill(text);
    await one.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
  }
  const staff = await browser.newContext();
  const agent = await staff.newPage();
  await agent.goto(`${srv.url}/merchant?as=shop-agent#c=${conversationId}`);
  await expect(agent.locator('parley-chat li.message')).toContainText(['keep this', 'forget this']);

  const doomed = one.locator('parley-chat-widget li.message', { hasText: 'forget this' });
  await expect(doomed).toHaveAttribute('data-state', /sent|delivered|read/);
  await doomed.hover();
  await doomed.getByRole('button', { name: 'Delete for me' }).click();
  for (const page of [one, two]) {
    await expect(page.locator('parley-chat-widget li.message')).toHaveText([/keep this/]);
  }
  expect(await search(one, 'forget')).toEqual([]);
  await two.reload();
  await two.locator('parley-chat-widget').evaluate((el: Widget) => el.show());
  await expect(two.locator('parley-chat-widget li.message')).toHaveText([/keep this/]);
  // Only for me: the shop still has it.
  await expect(agent.locator('parley-chat li.message')).toContainText(['keep this', 'forget this']);
  await shopper.close();
  await staff.close();
});
