/**
 * The demo's pages under axe-core, in the states a shopper and a merchant actually see: no serious
 * or critical accessibility violation, the kit's shadow DOM included.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { signToken } from '../../server';
import { connectClient } from '../support/wireClient';
import { axeViolations } from './axe';
import { E2E_SECRET, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

async function openOnline(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${srv.url}${path}`);
  await page.waitForFunction(() => (window as { parley?: { state: { status: string } } }).parley?.state.status === 'online');
  return page;
}

/** A raw client signed in as a seeded demo user. */
function wireClientAs(sub: string, role: 'customer' | 'merchant', shop?: string) {
  return connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub, role, ...(shop ? { shop } : {}), exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: `${sub}-wire`,
  });
}

async function sendAs(sub: string, role: 'customer' | 'merchant', conversationId: string | null, text: string): Promise<string> {
  const client = wireClientAs(sub, role, role === 'merchant' ? 'parley-shop' : undefined);
  await client.authResult;
  const id = conversationId ?? (await client.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' })).conversation.id;
  await client.call('messages.send', { conversationId: id, clientId: crypto.randomUUID(), content: { type: 'text', text } });
  client.close();
  return id;
}

test('the storefront with the chat open: mine and the shop\'s messages, a product card', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openOnline(context, '/?as=alice');
  const widget = page.locator('parley-chat-widget');
  await widget.evaluate((el: HTMLElement & { show(): Promise<string | null> }) => el.show());
  await widget.locator('textarea.input').fill('Is the mug dishwasher safe?');
  await widget.getByRole('button', { name: 'Send', exact: true }).click();
  await page.locator('.send-product[data-product-id="mug"]').click();
  const conversationId = await widget.evaluate((el: HTMLElement & { conversationId: string }) => el.conversationId);
  await sendAs('shop-agent', 'merchant', conversationId, 'Yes, it is.');
  await expect(widget.locator('li.message')).toHaveCount(3);

  expect(await axeViolations(page)).toEqual([]);
  await context.close();
});

test('the merchant console: a list with unread conversations and an open chat', async ({ browser }) => {
  // Two customers write first, so the list has one conversation read (selected) and one unread.
  await sendAs('bob', 'customer', null, 'Do you ship abroad?');
  await sendAs('alice', 'customer', null, 'Is the mug dishwasher safe?');
  const context = await browser.newContext();
  const page = await openOnline(context, '/merchant?as=shop-agent');
  await expect(page.locator('parley-conversation-list button.item')).toHaveCount(2);
  await expect(page.locator('parley-chat li.message')).toHaveCount(1);
  const list = page.locator('parley-conversation-list');
  await expect(list.locator('[part="unread-badge"]')).toHaveCount(1);
  // The badge is hidden from assistive technology; the count still reaches it in the name.
  await expect(list.getByRole('button', { name: /Do you ship abroad\?.*1 unread/ })).toHaveCount(1);
  await expect(list.locator('button.item[aria-current="true"]')).toContainText('Is the mug dishwasher safe?');

  expect(await axeViolations(page)).toEqual([]);
  await context.close();
});

test('the new views: presence and typing in the storefront chat; the desk bar, transfer form, quick replies and customer context in the console', async ({ browser }) => {
  const shopper = await browser.newContext();
  const shop = await openOnline(shopper, '/?as=alice');
  const widget = shop.locator('parley-chat-widget');
  await widget.evaluate((el: HTMLElement & { show(): Promise<string | null> }) => el.show());
  await shop.locator('.send-product[data-product-id="mug"]').click();
  await widget.locator('textarea.input').fill('Is the mug dishwasher safe?');
  await widget.getByRole('button', { name: 'Send', exact: true }).click();
  const conversationId = await widget.evaluate((el: HTMLElement & { conversationId: string }) => el.conversationId);

  const staff = await browser.newContext();
  const console_ = await openOnline(staff, `/merchant?as=shop-agent#c=${conversationId}`);
  const chat = console_.locator('parley-chat');
  await expect(chat.locator('[part~="desk"]')).toBeVisible();
  await expect(console_.locator('parley-customer-context')).toContainText('Parley mug');
  await console_.getByLabel('Shortcut').fill('dish');
  await console_.getByLabel('Text', { exact: true }).fill('Yes, it is dishwasher safe.');
  await console_.getByRole('button', { name: 'Save quick reply' }).click();
  await chat.locator('textarea.input').pressSequentially('/di');
  await expect(chat.locator('[part~="quick-reply"]')).toHaveCount(1);
  await chat.getByRole('button', { name: 'Transfer' }).click();
  await expect(chat.locator('[part~="transfer-form"]')).toBeVisible();
  // The shopper sees the shop online and typing.
  await expect(widget.locator('[part~="presence"]')).toHaveAttribute('data-state', 'online');
  await expect(widget.locator('[part~="typing"]')).toHaveText('The shop is typing…');

  expect(await axeViolations(shop)).toEqual([]);
  expect(await axeViolations(console_)).toEqual([]);
  await shopper.close();
  await staff.close();
});
