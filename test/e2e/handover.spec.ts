/**
 * Without SharedWorker the leader tab runs the engine, and the next tab in the lock's queue takes
 * over when it closes. Sends still in its outbox go from the next leader, each stored and shown
 * once; calls a follower was waiting on settle at the takeover, made again only when that is safe.
 */
import { expect, test, type Page } from '@playwright/test';
import { openTab, startE2EServer, waitForStatus, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type Shown = { id: string; state: string; content: { text?: string } };
type W = Window & {
  client: {
    transport: string;
    request(type: string, params: object): Promise<{ conversation: { id: string } }>;
    send(conversationId: string, content: object): Promise<{ id: string; state: string }>;
  };
  watch(conversationId: string): void;
  latest: Record<string, Shown[]>;
};

const transportOf = (page: Page) => page.evaluate(() => (window as unknown as W).client.transport);

/** Send texts one after another from `page`; resolves with the ids send() gave them. */
function sendAll(page: Page, conversationId: string, texts: string[]): Promise<string[]> {
  return page.evaluate(
    async ({ conversationId, texts }) => {
      const ids: string[] = [];
      for (const text of texts) ids.push((await (window as unknown as W).client.send(conversationId, { type: 'text', text })).id);
      return ids;
    },
    { conversationId, texts },
  );
}

/** What a tab shows of the conversation: each message's id and state, oldest first. */
function shown(page: Page, conversationId: string): Promise<Shown[]> {
  return page.evaluate((cid) => (window as unknown as W).latest[cid] ?? [], conversationId);
}

test('sends queued in the closing leader\'s outbox and sends after it are each stored and shown once', async ({ browser }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    delete (window as { SharedWorker?: unknown }).SharedWorker;
  });
  // Opened in this order, they queue for the leader's lock in this order.
  const leader = await openTab(context, srv.url);
  const next = await openTab(context, srv.url);
  const sender = await openTab(context, srv.url);
  for (const t of [leader, next, sender]) await waitForStatus(t, 'online');
  expect([await transportOf(leader), await transportOf(next), await transportOf(sender)]).toEqual(['leader', 'follower', 'follower']);

  const conversationId = await sender.evaluate(async () => {
    const w = window as unknown as W;
    return (await w.client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' })).conversation.id;
  });
  for (const t of [next, sender]) await t.evaluate((cid) => (window as unknown as W).watch(cid), conversationId);

  // The server leaves the leader's sends unanswered: the first is on the wire, the next two queue
  // behind it (one request at a time per conversation), all pending when the leader closes. A
  // message alone in the queue goes as messages.send, a run as messages.sendBatch: hold both.
  const held = ['messages.send', 'messages.sendBatch'];
  for (const type of held) srv.server.hooks!.neverAnswer.add(type);
  const before = await sendAll(sender, conversationId, ['before 1', 'before 2', 'before 3']);
  await expect.poll(async () => (await shown(sender, conversationId)).map((m) => [m.id, m.state])).toEqual(before.map((id) => [id, 'pending']));
  expect((await srv.server.store.history(conversationId, undefined, 10)).messages).toEqual([]);

  await leader.close();
  for (const type of held) srv.server.hooks!.neverAnswer.delete(type);
  // The next tab in the lock's queue takes over; the sender stays a follower.
  await expect.poll(() => transportOf(next)).toBe('leader');
  await waitForStatus(next, 'online');
  expect(await transportOf(sender)).toBe('follower');
  const after = await sendAll(sender, conversationId, ['after 1', 'after 2']);

  const all = [...before, ...after];
  const texts = ['before 1', 'before 2', 'before 3', 'after 1', 'after 2'];
  await expect.poll(async () => (await srv.server.store.history(conversationId, undefined, 100)).messages.map((m) => m.id)).toEqual(all);
  const stored = (await srv.server.store.history(conversationId, undefined, 100)).messages;
  expect(stored.map((m) => (m.content as { text: string }).text)).toEqual(texts);
  expect(stored.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  for (const t of [next, sender]) {
    await expect.poll(async () => (await shown(t, conversationId)).filter((m) => m.state !== 'pending').map((m) => m.id)).toEqual(all);
    expect((await shown(t, conversationId)).map((m) => m.content.text)).toEqual(texts);
  }
  await context.close();
});

test('a call in flight when the leader tab closes is made again on the next leader when that is safe, and fails at once when not', async ({ browser }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    delete (window as { SharedWorker?: unknown }).SharedWorker;
  });
  // A supplier may create groups: a group create is the request that must never go out twice.
  const leader = await openTab(context, srv.url, { as: 'supplier' });
  const next = await openTab(context, srv.url, { as: 'supplier' });
  const sender = await openTab(context, srv.url, { as: 'supplier' });
  for (const t of [leader, next, sender]) await waitForStatus(t, 'online');
  expect(await transportOf(sender)).toBe('follower');

  // The leader's engine gets both calls; the server leaves them unanswered.
  srv.server.hooks!.neverAnswer.add('conversations.list');
  srv.server.hooks!.neverAnswer.add('conversations.create');
  await sender.evaluate(() => {
    const w = window as unknown as W & { inFlight: Record<string, Promise<{ ok: boolean; code?: string }>> };
    const settled = (p: Promise<unknown>) => p.then(() => ({ ok: true }), (err: { code?: string }) => ({ ok: false, code: err.code }));
    w.inFlight = {
      read: settled(w.client.request('conversations.list', { limit: 5, offset: 0 })),
      group: settled(w.client.request('conversations.create', { kind: 'group', title: 'In flight', memberIds: ['distributor'] })),
    };
  });
  // Both reached the server (and are held there) before the leader goes: a create still on its way
  // when the hooks are cleared below would be run, which is not what this test is about.
  await expect.poll(() => srv.server.hooks!.heldUnanswered('conversations.create')).toBe(1);
  await expect.poll(() => srv.server.hooks!.heldUnanswered('conversations.list')).toBeGreaterThanOrEqual(1);
  await leader.close();
  // From now on the server answers both: a group create made again would make a group.
  srv.server.hooks!.neverAnswer.clear();

  // Each settles when the next leader takes over, not at its timeout: the read on the new engine,
  // the group create with DISCONNECTED (its outcome is the caller's to find out, as with a
  // SharedWorker that died).
  const outcome = await sender.evaluate(async () => {
    const { inFlight } = window as unknown as { inFlight: Record<string, Promise<{ ok: boolean; code?: string }>> };
    return { read: await inFlight.read, group: await inFlight.group };
  });
  expect(outcome).toEqual({ read: { ok: true }, group: { ok: false, code: 'DISCONNECTED' } });
  const supplier = { userId: 'supplier', role: 'supplier', shopId: null, displayName: 'Supplier' } as const;
  expect((await srv.server.store.listConversations(supplier, 10, 0)).total).toBe(0);
  await context.close();
});
