/**
 * Typing and presence between a shopper (the storefront's widget) and the shop's agent (the
 * console), each in their own browser context with several tabs: one engine, one socket per user.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { openShopTab, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

/** The storefront with the chat open; resolves with the shopper's conversation with the shop. */
async function openShop(context: BrowserContext): Promise<{ page: Page; conversationId: string }> {
  const opened = await openShopTab(context, srv.url);
  await expect(opened.page.locator('parley-chat-widget textarea.input')).toBeVisible();
  return opened;
}

async function openConsole(context: BrowserContext, conversationId: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${srv.url}/merchant?as=shop-agent#c=${conversationId}`);
  await expect(page.locator('parley-chat textarea.input')).toBeVisible();
  return page;
}

const typingLine = (page: Page, host: 'parley-chat-widget' | 'parley-chat') => page.locator(`${host} [part~="typing"]`);

test("typing: the agent's tabs see the shopper typing, the shopper's tabs see the shop (not the agent), and it expires", async ({ browser }) => {
  const shopper = await browser.newContext();
  const staff = await browser.newContext();
  const { page: shopTab, conversationId } = await openShop(shopper);
  const { page: shopTab2 } = await openShop(shopper);
  const consoles = [await openConsole(staff, conversationId), await openConsole(staff, conversationId)];

  await shopTab.locator('parley-chat-widget textarea.input').pressSequentially('Is the mug');
  for (const c of consoles) await expect(typingLine(c, 'parley-chat')).toHaveText('alice is typing…');
  // Clearing the text says "stopped" at once.
  await shopTab.locator('parley-chat-widget textarea.input').fill('');
  for (const c of consoles) await expect(typingLine(c, 'parley-chat')).toHaveText('');

  await consoles[1]!.locator('parley-chat textarea.input').pressSequentially('Let me check');
  for (const t of [shopTab, shopTab2]) await expect(typingLine(t, 'parley-chat-widget')).toHaveText('The shop is typing…');
  expect(await typingLine(shopTab, 'parley-chat-widget').innerText()).not.toContain('shop-agent');
  // Nothing renews it: it ends on its own after the receiver's time to live (7 s).
  for (const t of [shopTab, shopTab2]) await expect(typingLine(t, 'parley-chat-widget')).toHaveText('', { timeout: 12_000 });

  // A message ends "typing" too, without waiting.
  await consoles[1]!.locator('parley-chat textarea.input').pressSequentially(' for you');
  await expect(typingLine(shopTab, 'parley-chat-widget')).toHaveText('The shop is typing…');
  await consoles[1]!.locator('parley-chat').getByRole('button', { name: 'Send', exact: true }).click();
  await expect(shopTab.locator('parley-chat-widget li.message')).toContainText(['Let me check for you']);
  await expect(typingLine(shopTab, 'parley-chat-widget')).toHaveText('');
  await shopper.close();
  await staff.close();
});

test("presence: the shopper sees the shop online while an agent tab is open and offline when the last closes; the agent sees the shopper", async ({ browser }) => {
  const shopper = await browser.newContext();
  const staff = await browser.newContext();
  const { page: shopTab, conversationId } = await openShop(shopper);
  const shopPresence = shopTab.locator('parley-chat-widget [part~="presence"][data-subject="parley-shop"]');
  await expect(shopPresence).toHaveAttribute('data-state', 'offline');
  await expect(shopPresence).toContainText('The shop is offline');

  const consoles = [await openConsole(staff, conversationId), await openConsole(staff, conversationId)];
  await expect(shopPresence).toHaveAttribute('data-state', 'online');
  const alicePresence = consoles[0]!.locator('parley-chat [part~="presence"][data-subject="alice"]');
  await expect(alicePresence).toHaveAttribute('data-state', 'online');
  await expect(alicePresence).toHaveText('alice is online');

  await consoles[0]!.close();
  // One agent tab is still open: the shop is still there. A round trip through the server proves
  // that the close reached it before the check.
  await consoles[1]!.locator('parley-chat textarea.input').fill('still here');
  await consoles[1]!.locator('parley-chat').getByRole('button', { name: 'Send', exact: true }).click();
  await expect(shopTab.locator('parley-chat-widget li.message')).toContainText(['still here']);
  await expect(shopPresence).toHaveAttribute('data-state', 'online');

  await consoles[1]!.close();
  await expect(shopPresence).toHaveAttribute('data-state', 'offline', { timeout: 15_000 });
  await shopper.close();
  await staff.close();
});
