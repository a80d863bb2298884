/**
 * Drafts: the composer's unsent text is kept per user and conversation, shows in every tab of that
 * conversation, survives a reload, and a send clears it in every tab.
 */
import { expect, test, type Page } from '@playwright/test';
import { startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

async function openWidget(page: Page, user = 'alice'): Promise<void> {
  await page.goto(`${srv.url}/?as=${user}`);
  await page.locator('parley-chat-widget').evaluate((el: HTMLElement & { show(): void }) => el.show());
  await expect(page.locator('parley-chat-widget textarea.input')).toBeVisible();
}

const input = (page: Page) => page.locator('parley-chat-widget textarea.input');

test('a draft shows in every tab, survives a reload, and a send clears it everywhere', async ({ browser }) => {
  const context = await browser.newContext();
  const [one, two] = [await context.newPage(), await context.newPage()];
  await openWidget(one);
  await openWidget(two);

  await input(one).fill('Do you have this in blue');
  await expect(input(two)).toHaveValue('Do you have this in blue');
  await input(two).pressSequentially('?');
  await expect(input(one)).toHaveValue('Do you have this in blue?');

  await one.reload();
  await one.locator('parley-chat-widget').evaluate((el: HTMLElement & { show(): void }) => el.show());
  await expect(input(one)).toHaveValue('Do you have this in blue?');

  await one.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
  await expect(one.locator('parley-chat-widget li.message')).toContainText(['Do you have this in blue?']);
  await expect(input(one)).toHaveValue('');
  await expect(input(two)).toHaveValue('');
  await two.reload();
  await two.locator('parley-chat-widget').evaluate((el: HTMLElement & { show(): void }) => el.show());
  await expect(input(two)).toHaveValue('');
  await context.close();
});
