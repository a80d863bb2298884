/**
 * A shop agent with 5,000 stored messages over 50 conversations signs in from a new browser
 * profile. The console opens with the whole list (unread counts included) and the open chat's
 * latest page, loaded from the head, not from a replay of the push stream; scrolling up pages the
 * chat's history back from the server to its first message.
 */
import { expect, test } from '@playwright/test';
import { SHOP_AGENT, seedShopHistory } from '../support/seedHistory';
import { startE2EServer, type E2EServer } from './fixtures';

const CONVERSATIONS = 50;
const PER_CONVERSATION = 100;

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

test('a new browser profile opens a long history at the head, without a replay, and scrolls it back', async ({ browser }) => {
  const ids = await seedShopHistory(srv.server.store, CONVERSATIONS, PER_CONVERSATION);
  const expected = await srv.server.store.listConversations(SHOP_AGENT, 200, 0);
  const unread = expected.conversations.filter((c) => c.unread > 0).length;
  const pushesBefore = await srv.metric('parley_pushes_sent_total');
  const opened = ids[7]!;

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${srv.url}/merchant?as=${SHOP_AGENT.userId}#c=${encodeURIComponent(opened)}`);
  const list = page.locator('parley-conversation-list');
  await expect(list.locator('button.item')).toHaveCount(CONVERSATIONS, { timeout: 20_000 });
  await expect(list.locator('[part="unread-badge"]')).toHaveCount(unread);
  const chat = page.locator('parley-chat');
  await expect(chat.locator('li.message').last()).toContainText(`c7 m${PER_CONVERSATION}`);

  // The head came with sync.head: the stream was not replayed (not one push), and the server counted one new-device rebuild.
  expect(await srv.metric('parley_pushes_sent_total')).toBe(pushesBefore);
  expect(await srv.metric('parley_rebuilds_total', 'reason="new_device"')).toBe(1);

  // Scroll to the top until the first message: older pages come (local first, then the server) as the user scrolls.
  const messages = chat.locator('li.message');
  let shown = await messages.count();
  expect(shown).toBeLessThan(PER_CONVERSATION);
  while (shown < PER_CONVERSATION) {
    await chat.locator('.list').evaluate((el) => el.scrollTo({ top: 0 }));
    await expect.poll(() => messages.count()).toBeGreaterThan(shown);
    shown = await messages.count();
  }
  expect(shown).toBe(PER_CONVERSATION);
  await expect(messages.first()).toContainText(/c7 m1\b/);
  // Still no push: history is a request, not a replay.
  expect(await srv.metric('parley_pushes_sent_total')).toBe(pushesBefore);
  await context.close();
});
