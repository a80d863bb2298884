/**
 * client.search() from a tab: the engine's wa-sqlite build (FTS5 with the trigram tokenizer) over
 * messages sent from this tab and received from the server, Chinese included.
 */
import { expect, test, type Page } from '@playwright/test';
import { signToken } from '../../server';
import { connectClient } from '../support/wireClient';
import { E2E_SECRET, openTab, startE2EServer, waitForStatus, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type Hit = { senderId: string; content: { text?: string } };
type W = Window & {
  client: {
    request(type: string, params: object): Promise<{ conversation: { id: string } }>;
    send(conversationId: string, content: object): Promise<unknown>;
    search(query: string, limit?: number): Promise<Hit[]>;
  };
  watch(conversationId: string): void;
  latest: Record<string, { state: string; content: { text?: string } }[]>;
};

/** The texts of a search's hits, newest first, as the tab gets them. */
function searchTexts(page: Page, query: string): Promise<string[]> {
  return page.evaluate(async (q) => (await (window as unknown as W).client.search(q)).map((m) => m.content.text ?? ''), query);
}

test('search finds sent and received messages, Chinese by trigram and by a two-character scan', async ({ browser }) => {
  const context = await browser.newContext();
  const tab = await openTab(context, srv.url);
  await waitForStatus(tab, 'online');
  const conversationId = await tab.evaluate(async () => {
    const w = window as unknown as W;
    const { conversation } = await w.client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    w.watch(conversation.id);
    await w.client.send(conversation.id, { type: 'text', text: 'Is the mug dishwasher safe?' });
    await w.client.send(conversation.id, { type: 'text', text: '这个杯子有现货吗？' });
    return conversation.id;
  });
  // Both on the server before the shop answers, so the server's times order all three.
  await tab.waitForFunction(
    (cid) => (window as unknown as W).latest[cid]?.filter((m) => m.state !== 'pending').length === 2,
    conversationId,
  );

  // The shop answers over the wire: the tab stores it from a push.
  const shop = connectClient(srv.url.replace('http', 'ws') + '/ws', {
    token: signToken(E2E_SECRET, { sub: 'shop-agent', role: 'merchant', shop: 'parley-shop', exp: Math.floor(Date.now() / 1000) + 600 }),
    deviceId: 'shop-device',
  });
  await shop.authResult;
  await shop.call('messages.send', { conversationId, clientId: crypto.randomUUID(), content: { type: 'text', text: '有现货，今天发货。' } });
  shop.close();
  await tab.waitForFunction((cid) => (window as unknown as W).latest[cid]?.length === 3, conversationId);

  // Three characters and more go through the trigram index; newest first.
  expect(await searchTexts(tab, '有现货')).toEqual(['有现货，今天发货。', '这个杯子有现货吗？']);
  expect(await searchTexts(tab, '今天发货')).toEqual(['有现货，今天发货。']);
  expect(await searchTexts(tab, 'DISHWASHER')).toEqual(['Is the mug dishwasher safe?']);
  // Fewer than three characters are too short for a trigram: a scan finds them all the same.
  expect(await searchTexts(tab, '杯子')).toEqual(['这个杯子有现货吗？']);
  // Query syntax is text: quotes and operators match nothing rather than failing.
  expect(await searchTexts(tab, '"mug" OR 现货')).toEqual([]);
  expect(await searchTexts(tab, '没有的东西')).toEqual([]);
  const sender = await tab.evaluate(async () => (await (window as unknown as W).client.search('今天发货'))[0]!.senderId);
  expect(sender).toBe('shop-agent');
  await context.close();
});
