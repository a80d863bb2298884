/**
 * Notifications once, not once per tab: with several tabs of a shopper open and none visible, a
 * reply shows exactly one notification (in the tab used last); clicking it brings that tab up with
 * the chat open; a visible tab, or one's own message, shows none. Every tab's title counts unread.
 *
 * Each page gets a recording Notification (what the browser would show) and a visibility the test
 * sets: headless pages all count as visible otherwise.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { openWidgetChat, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type Shown = { title: string; body: string; tag: string; click(): void };
type TestWindow = Window & {
  __shown: Shown[];
  __setVisible(visible: boolean): void;
  parley: { enableNotifications(o: { onClick(): void }): Promise<string> };
  __clicked: number;
};

async function stubs(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as TestWindow;
    let visible = true;
    Object.defineProperty(document, 'visibilityState', { get: () => (visible ? 'visible' : 'hidden') });
    Object.defineProperty(document, 'hidden', { get: () => !visible });
    w.__setVisible = (v: boolean) => {
      visible = v;
      document.dispatchEvent(new Event('visibilitychange'));
    };
    w.__shown = [];
    w.__clicked = 0;
    class RecordingNotification {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      onclick: (() => void) | null = null;
      constructor(
        readonly title: string,
        readonly opts: { body: string; tag: string },
      ) {
        w.__shown.push({ title, body: opts.body, tag: opts.tag, click: () => this.onclick?.() });
      }
      close(): void {}
    }
    (window as unknown as { Notification: unknown }).Notification = RecordingNotification;
  });
}

async function shopperTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${srv.url}/?as=alice`);
  await page.waitForFunction(() => (window as unknown as { parley?: unknown }).parley !== undefined);
  await page.evaluate(() => {
    const w = window as unknown as TestWindow;
    const widget = document.querySelector('parley-chat-widget') as HTMLElement & { show(): Promise<unknown> };
    return w.parley.enableNotifications({ onClick: () => void widget.show().then(() => w.__clicked++) });
  });
  return page;
}

const shown = (page: Page) => page.evaluate(() => (window as unknown as TestWindow).__shown.map(({ title, body, tag }) => ({ title, body, tag })));
const setVisible = (page: Page, visible: boolean) => page.evaluate((v) => (window as unknown as TestWindow).__setVisible(v), visible);

test('N tabs, one notification: in the tab used last, none while a tab is visible or for own messages; titles count unread', async ({ browser }) => {
  const shopper = await browser.newContext();
  await stubs(shopper);
  const tabs = [await shopperTab(shopper), await shopperTab(shopper), await shopperTab(shopper)];
  const conversationId = await openWidgetChat(tabs[0]!);
  await tabs[0]!.locator('parley-chat-widget textarea.input').fill('Is the mug dishwasher safe?');
  await tabs[0]!.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
  // Close the chat so the reply stays unread, then the tabs go to the background, tab 1 last.
  await tabs[0]!.locator('parley-chat-widget').evaluate((el: HTMLElement & { hide(): void }) => el.hide());
  for (const i of [0, 2, 1]) await setVisible(tabs[i]!, false);

  const staff = await browser.newContext();
  const agent = await staff.newPage();
  await agent.goto(`${srv.url}/merchant?as=shop-agent#c=${conversationId}`);
  // The agent's console marks read what it shows; the shopper's own sent message notified nobody.
  await agent.locator('parley-chat textarea.input').fill('Yes, it is.');
  await agent.locator('parley-chat').getByRole('button', { name: 'Send', exact: true }).click();

  await expect.poll(async () => (await Promise.all(tabs.map(shown))).flat().length, { timeout: 10_000 }).toBe(1);
  expect(await shown(tabs[1]!)).toEqual([{ title: 'New message', body: 'Yes, it is.', tag: conversationId }]);
  // Every tab counts it in its title.
  for (const t of tabs) await expect(t).toHaveTitle(/^\(1\) Parley Shop/);

  // A visible tab: the next reply notifies nobody (the user is looking).
  await setVisible(tabs[2]!, true);
  await agent.locator('parley-chat textarea.input').fill('Anything else?');
  await agent.locator('parley-chat').getByRole('button', { name: 'Send', exact: true }).click();
  await expect.poll(() => tabs[2]!.title()).toMatch(/^\(2\)/);
  expect((await Promise.all(tabs.map(shown))).flat()).toHaveLength(1);

  // Clicking the notification opens the chat in that tab.
  await tabs[1]!.evaluate(() => (window as unknown as TestWindow).__shown[0]!.click());
  await expect.poll(() => tabs[1]!.evaluate(() => (window as unknown as TestWindow).__clicked)).toBe(1);
  await expect(tabs[1]!.locator('parley-chat-widget textarea.input')).toBeVisible();
  await shopper.close();
  await staff.close();
});
