/**
 * The merchant console as a service desk, with two agents in separate browser contexts: a
 * customer's conversation is assigned round robin, one agent transfers it to the other with a note
 * (which the customer never sees), a quick reply saved by one is inserted by the other with `/`,
 * and the customer context lists the product the customer sent.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { openWidgetChat, startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer({ sessionPolicy: 'multi' });
});
test.afterEach(async () => {
  await srv.stop();
});

async function openConsole(context: BrowserContext, user: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${srv.url}/merchant?as=${user}`);
  await expect(page.locator('parley-conversation-list [part~="filter"]')).toBeVisible();
  return page;
}

const item = (page: Page, conversationId: string) => page.locator(`parley-conversation-list [data-conversation-id="${conversationId}"]`);

test('a transfer moves a conversation between two agents, with a note only agents see; quick replies with /; the customer context', async ({ browser }) => {
  const [first, second, shopper] = [await browser.newContext(), await browser.newContext(), await browser.newContext()];
  const agentA = await openConsole(first, 'shop-agent');
  const agentB = await openConsole(second, 'shop-agent-2');

  const shop = await shopper.newPage();
  await shop.goto(`${srv.url}/?as=alice`);
  const conversationId = await openWidgetChat(shop);
  await shop.locator('.product', { hasText: 'Parley mug' }).getByRole('button', { name: 'Send this product' }).click();
  await shop.locator('parley-chat-widget textarea.input').fill('Is this mug dishwasher safe?');
  await shop.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();

  // Round robin over the online agents, in id order: shop-agent first.
  await expect(item(agentA, conversationId).locator('[part~="assignee"]')).toHaveText('You handle this');
  await expect(item(agentB, conversationId).locator('[part~="assignee"]')).toHaveText('Handled by Shop Agent');

  await item(agentA, conversationId).click();
  const chatA = agentA.locator('parley-chat');
  await expect(chatA.locator('[part~="desk-assignee"]')).toHaveText('You handle this');
  await expect(agentA.locator('parley-customer-context')).toContainText('Parley mug');
  await chatA.getByRole('button', { name: 'Transfer' }).click();
  await chatA.getByLabel('Transfer to').selectOption('shop-agent-2');
  await chatA.getByLabel(/Note for the agent/).fill('VIP customer, answer today');
  await chatA.locator('[part~="transfer-submit"]').click();

  await expect(item(agentB, conversationId).locator('[part~="assignee"]')).toHaveText('You handle this');
  await expect(item(agentA, conversationId).locator('[part~="assignee"]')).toHaveText('Handled by Second Agent');
  await agentB.locator('parley-conversation-list').getByRole('button', { name: 'Mine' }).click();
  await item(agentB, conversationId).click();
  const chatB = agentB.locator('parley-chat');
  await expect(chatB.locator('[part~="desk-note"]')).toHaveText('Note from Shop Agent: VIP customer, answer today');

  // A quick reply saved in one console is there in the other: `/` lists it, Enter inserts it.
  await agentA.getByLabel('Shortcut').fill('dish');
  await agentA.getByLabel('Text', { exact: true }).fill('Yes, it is dishwasher safe.');
  await agentA.getByRole('button', { name: 'Save quick reply' }).click();
  const input = chatB.locator('textarea.input');
  await input.pressSequentially('/di');
  await expect(chatB.locator('[part~="quick-reply"]')).toHaveText([/\/dish\s+Yes, it is dishwasher safe\./]);
  await input.press('Enter');
  await expect(input).toHaveValue('Yes, it is dishwasher safe.');
  await input.press('Enter');
  await expect(shop.locator('parley-chat-widget li.message').last()).toContainText('Yes, it is dishwasher safe.');

  // The customer saw none of the desk.
  await expect(shop.locator('body')).not.toContainText('VIP');
  expect(await shop.locator('parley-chat-widget').evaluate((el) => el.shadowRoot!.innerHTML)).not.toContain('VIP');
  for (const c of [first, second, shopper]) await c.close();
});
