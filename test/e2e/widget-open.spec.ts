/**
 * The storefront's chat button opens the conversation with the shop whatever came first: the
 * shopper's click or the client's connection, and after a failed attempt once the client is back.
 */
import { expect, test, type Page } from '@playwright/test';
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

type W = Window & { parley?: { state: { status: string }; reconnect(): Promise<void> } };

const composer = (page: Page) => page.locator('parley-chat-widget textarea.input');
const launcher = (page: Page) => page.locator('parley-chat-widget').getByRole('button', { name: 'Open chat' });

test('a click before the client exists opens the chat once it has connected', async ({ browser }) => {
  const context = await browser.newContext(); // a new device: no conversation in its local database
  const page = await context.newPage();
  // Hold the client bundle, so the page cannot have a client until the click has happened. The
  // first visit is not controlled by the demo's service worker, so the page's own fetch is routed.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/parley/parley-client.js', async (route) => {
    await released;
    await route.continue();
  });
  await page.goto(`${srv.url}/?as=alice`);
  await launcher(page).click();
  await expect(page.locator('parley-chat-widget [role="status"]')).toHaveText('Opening the chat…');
  expect(await page.evaluate(() => (window as W).parley)).toBeUndefined();

  release();
  await page.waitForFunction(() => (window as W).parley?.state.status === 'online');
  await expect(composer(page)).toBeVisible();
  await context.close();
});

test('an attempt that failed is made again when the client comes back online', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${srv.url}/?as=alice`);
  await page.waitForFunction(() => (window as W).parley?.state.status === 'online');
  // alice signs in on another device: this one is kicked, and its requests fail at once.
  const elsewhere = connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub: 'alice', role: 'customer', exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: 'alice-elsewhere',
  });
  await elsewhere.authResult;
  await page.waitForFunction(() => (window as W).parley?.state.status === 'kicked');
  await launcher(page).click();
  await expect(page.locator('parley-chat-widget [role="alert"]')).toContainText('Couldn’t open the chat');

  // The shop's page signs the shopper back in; nobody presses "Try again".
  elsewhere.close();
  await page.evaluate(() => (window as W).parley!.reconnect());
  await expect(composer(page)).toBeVisible();
  await context.close();
});
