/**
 * The storefront demo and the UI kit in real Chromium: a customer and the shop talk through the
 * widget and the console; the app shell opens with the server down; hostile text stays inert; the
 * kit's theme, templates and "more" items reach the host.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { signToken } from '../../server';
import { connectClient } from '../support/wireClient';
import { E2E_SECRET, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type W = Window & { parley: any };

async function openPage(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${srv.url}${path}`);
  await page.waitForFunction(() => (window as unknown as W).parley?.state.status === 'online', undefined, { timeout: 15_000 });
  return page;
}

/** Open the shop widget and wait for its composer. */
async function openWidget(page: Page): Promise<void> {
  const widget = page.locator('parley-chat-widget');
  await widget.evaluate((el: any) => el.show());
  await expect(page.locator('parley-chat-widget textarea.input')).toBeVisible();
}

async function sendInWidget(page: Page, text: string): Promise<void> {
  await page.locator('parley-chat-widget textarea.input').fill(text);
  await page.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
}

function shopClient() {
  return connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub: 'shop-agent', role: 'merchant', shop: 'parley-shop', exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: `shop-${Math.random()}`,
  });
}

test('a customer sends a text and a product card, the shop answers from the console, and the customer sees them read', async ({ browser }) => {
  const customer = await browser.newContext();
  const shop = await openPage(customer, '/?as=alice');
  await openWidget(shop);
  await sendInWidget(shop, 'Hello, is the mug dishwasher safe?');
  await shop.locator('.send-product[data-product-id="mug"]').click();
  const mine = shop.locator('parley-chat-widget li.message');
  await expect(mine).toHaveCount(2);

  const staff = await browser.newContext();
  const consolePage = await openPage(staff, '/merchant?as=shop-agent');
  await consolePage.locator('parley-conversation-list button.item').first().click();
  const chat = consolePage.locator('parley-chat');
  await expect(chat.locator('li.message')).toHaveCount(2);
  await expect(chat).toContainText('Hello, is the mug dishwasher safe?');
  await chat.locator('textarea.input').fill('Yes, it is!');
  await chat.getByRole('button', { name: 'Send', exact: true }).click();

  await expect(mine).toHaveCount(3);
  await expect(shop.locator('parley-chat-widget')).toContainText('Yes, it is!');
  // The console showed them: both of the customer's messages are read.
  const own = shop.locator('parley-chat-widget li.message[data-state="read"]');
  await expect(own).toHaveCount(2, { timeout: 15_000 });
  await customer.close();
  await staff.close();
});

test('with the server down the storefront opens from the service worker with its history, and queued sends arrive once, in order', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openPage(context, '/?as=alice');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
  await openWidget(page);
  await sendInWidget(page, 'sent while online');
  await expect(page.locator('parley-chat-widget li.message[data-state="sent"], parley-chat-widget li.message[data-state="delivered"]')).toHaveCount(1);

  await srv.down();
  await page.reload();
  await page.waitForFunction(() => (window as unknown as W).parley !== undefined, undefined, { timeout: 15_000 });
  await openWidget(page);
  await expect(page.locator('parley-chat-widget')).toContainText('sent while online');
  const queued = ['first while down', 'second while down', 'third while down'];
  for (const t of queued) await sendInWidget(page, t);
  await expect(page.locator('parley-chat-widget li.message[data-state="pending"]')).toHaveCount(3);

  await srv.up();
  await expect(page.locator('parley-chat-widget li.message[data-state="pending"]')).toHaveCount(0, { timeout: 20_000 });
  const cid = await page.locator('parley-chat-widget').evaluate((el: any) => el.conversationId as string);
  const { messages } = await srv.server.store.history(cid, undefined, 100);
  expect(messages.map((m) => (m.content as { text: string }).text)).toEqual(['sent while online', ...queued]);
  await context.close();
});

test('hostile text and links render inert', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openPage(context, '/?as=alice');
  await openWidget(page);
  const cid = await page.locator('parley-chat-widget').evaluate((el: any) => el.conversationId as string);
  const agent = shopClient();
  await agent.authResult;
  const attack = '<img src=x onerror="window.__pwned=1"><a href="javascript:window.__pwned=2">click</a>';
  await agent.call('messages.send', { conversationId: cid, clientId: crypto.randomUUID(), content: { type: 'text', text: attack } });
  // A card from a newer client, with an unsafe link: shown as unsupported, never as a link.
  await agent.call('messages.send', { conversationId: cid, clientId: crypto.randomUUID(), content: { type: 'coupon', code: 'X', url: 'javascript:window.__pwned=3' } });
  // An RTL override, a 6,000-character word and zero-width characters: readable, contained, inert.
  const rtl = 'price \u202Eevil.exe\u202C is fine';
  const long = 'x'.repeat(6000);
  const zeroWidth = 'pa\u200By\u200D\uFEFFpal';
  for (const t of [rtl, long, zeroWidth]) {
    await agent.call('messages.send', { conversationId: cid, clientId: crypto.randomUUID(), content: { type: 'text', text: t } });
  }
  const widget = page.locator('parley-chat-widget');
  await expect(widget.locator('li.message')).toHaveCount(5);
  const textOf = (i: number) => widget.locator('li.message').nth(i).locator('.text');
  await expect(textOf(2)).toHaveText(rtl);
  expect(await textOf(2).evaluate((el) => [el.getAttribute('dir'), getComputedStyle(el).unicodeBidi])).toEqual(['auto', 'isolate']);
  await expect(textOf(4)).toHaveText(zeroWidth);
  // The long word wraps inside its bubble: the list never scrolls sideways.
  const list = widget.locator('ol.list');
  expect(await list.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  await expect(widget).toContainText(attack); // shown as the literal text
  expect(await widget.locator('li.message img').count()).toBe(0);
  expect(await widget.locator('a[href^="javascript:"]').count()).toBe(0);
  await widget.getByText('click', { exact: false }).first().click();
  await expect(widget.locator('li.message').nth(1)).toContainText('can’t be shown');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  agent.close();
  await context.close();
});

test('theme, templates and "more" items are the host\'s', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openPage(context, '/?as=alice');
  await openWidget(page);
  const widget = page.locator('parley-chat-widget');
  await sendInWidget(page, 'theme me');
  const bubble = widget.locator('[part~="bubble-mine"]').first();
  await expect(bubble).toBeVisible();
  const before = await bubble.screenshot();
  // Style: a CSS custom property set by the host changes what is drawn.
  await widget.evaluate((el: HTMLElement) => el.style.setProperty('--parley-bubble-mine-bg', 'rgb(255, 0, 0)'));
  await expect.poll(() => bubble.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 0, 0)');
  expect((await bubble.screenshot()).equals(before)).toBe(false);

  // Templates: the host renders its own message type.
  await page.evaluate(async () => {
    const ui = await import('/parley/parley-ui.js' as string);
    ui.registerTemplate('sticker', (m: { content: { name: string } }) => {
      const el = document.createElement('span');
      el.className = 'host-sticker';
      el.textContent = `sticker:${m.content.name}`;
      return el;
    });
  });
  const cid = await widget.evaluate((el: any) => el.conversationId as string);
  const agent = shopClient();
  await agent.authResult;
  await agent.call('messages.send', { conversationId: cid, clientId: crypto.randomUUID(), content: { type: 'sticker', name: 'thumbs-up' } });
  await expect(widget.locator('.host-sticker')).toHaveText('sticker:thumbs-up');

  // Config: a "more" item with a callback reaches the host as a DOM event.
  await page.evaluate(() => {
    (window as unknown as { moreClicks: string[] }).moreClicks = [];
    document.addEventListener('parley-more-item', (e) => (window as unknown as { moreClicks: string[] }).moreClicks.push((e as CustomEvent).detail.id));
  });
  await widget.evaluate((el: any) => {
    el.config = { ...(el.config ?? {}), more: [{ id: 'coupon', icon: '🎟', label: 'Send a coupon', callback: true }] };
  });
  await page.getByRole('button', { name: 'More' }).click();
  await page.getByRole('button', { name: 'Send a coupon' }).click();
  expect(await page.evaluate(() => (window as unknown as { moreClicks: string[] }).moreClicks)).toEqual(['coupon']);
  agent.close();
  await context.close();
});

test('a new version waits until the user reloads from the banner, then controls the page', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openPage(context, '/?as=alice');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
  const firstWorker = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
  expect(firstWorker).toContain('/sw.js');
  const swFile = path.join(import.meta.dirname, '../../dist/demo/sw.js');
  const original = fs.readFileSync(swFile, 'utf8');
  try {
    // A deploy: the service worker's bytes change.
    fs.writeFileSync(swFile, `${original}\n// next deploy ${Date.now()}\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    const banner = page.locator('#update-banner');
    await expect(banner).toBeVisible({ timeout: 15_000 });
    await expect(banner).toContainText('A new version is available');
    // Nothing switched under the running page while the user has not chosen to.
    expect(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())!.waiting)).toBe(true);
    await Promise.all([page.waitForEvent('load'), banner.getByRole('button', { name: 'Reload' }).click()]);
    await page.waitForFunction(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return !!reg && !reg.waiting && !!navigator.serviceWorker.controller;
    }, undefined, { timeout: 15_000 });
    await expect(page.locator('#update-banner')).toBeHidden();
  } finally {
    fs.writeFileSync(swFile, original);
  }
  await context.close();
});
