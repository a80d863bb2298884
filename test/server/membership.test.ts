/** Who may open, read and write which conversation. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../schema';
import { metricValue, sendText, setupGroup, text, uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';
import { isPush, messagePush } from '../support/wireClient';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(() => srv?.stop());

const storedTotal = async () => metricValue(await (await fetch(`${srv.url}/metrics`)).text(), 'parley_messages_stored_total');

describe('non-members', () => {
  it('cannot send (FORBIDDEN) and nothing is stored', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    const outsider = await srv.login(uid('outsider'));
    const countBefore = await srv.server.store.messageCount();
    const metricBefore = await storedTotal();

    const clientId = randomUUID();
    const res = await outsider.request('messages.send', { conversationId: conversation.id, clientId, content: text('let me in') });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });

    expect(await srv.server.store.messageCount()).toBe(countBefore);
    expect(await storedTotal()).toBe(metricBefore);
    const seen = await owner.call('messages.range', { conversationId: conversation.id, afterSeq: 0, limit: 200 });
    expect(seen.messages).toEqual([]);
    // The owner is not told about it either.
    await owner.ping();
    expect(owner.pushes.some(messagePush(clientId))).toBe(false);
  });

  it.each([
    ['messages.history', (id: string) => ({ conversationId: id, limit: 10 })],
    ['messages.range', (id: string) => ({ conversationId: id, afterSeq: 0, limit: 10 })],
    ['conversations.members', (id: string) => ({ conversationId: id })],
    ['conversations.markRead', (id: string) => ({ conversationId: id, upToSeq: 1 })],
    ['receipts.delivered', (id: string) => ({ conversationId: id, upToSeq: 1 })],
  ] as const)('cannot call %s (FORBIDDEN)', async (type, params) => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    await sendText(owner, conversation.id, 'private');
    const outsider = await srv.login(uid('outsider'));
    expect(await outsider.request(type, params(conversation.id))).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
  });

  it('do not see the conversation in their list or their push stream', async () => {
    const outsider = await srv.login(uid('outsider'));
    const { owner, conversation } = await setupGroup(srv, [{}]);
    await sendText(owner, conversation.id, 'private');
    expect(await outsider.call('conversations.list', { limit: 50, offset: 0 })).toMatchObject({ total: 0, conversations: [] });
    expect(await outsider.call('sync', { cursor: 0, limit: 500 })).toMatchObject({ events: [] });
    expect(outsider.pushes).toEqual([]);
  });

  it('get the same answer for a conversation that does not exist', async () => {
    const u = await srv.login(uid('u'));
    const res = await u.request('messages.send', { conversationId: 'c_does-not-exist', clientId: randomUUID(), content: text('x') });
    expect(res.ok).toBe(false);
    expect([ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND]).toContain(!res.ok && res.error.code);
  });
});

describe('direct conversations (customer with a shop)', () => {
  it('are idempotent per customer and shop, and every agent of the shop takes part', async () => {
    const shop = uid('shop');
    const agent1 = await srv.login(uid('agent'), { role: 'merchant', shop });
    const agent2 = await srv.login(uid('agent'), { role: 'merchant', shop });
    const customer = await srv.login(uid('cust'));

    const first = await customer.call('conversations.create', { kind: 'direct', shopId: shop });
    const again = await customer.call('conversations.create', { kind: 'direct', shopId: shop });
    expect(again.conversation.id).toBe(first.conversation.id);
    expect(first.conversation).toMatchObject({ kind: 'direct', shopId: shop });
    const id = first.conversation.id;

    for (const agent of [agent1, agent2]) {
      expect((await agent.nextFrame(isPush)).event).toMatchObject({ kind: 'conversation', conversation: { id } });
    }
    const question = await sendText(customer, id, 'is this in stock?');
    await agent1.nextFrame(messagePush(question.id));
    await agent2.nextFrame(messagePush(question.id));
    const answer = await sendText(agent2, id, 'yes');
    expect(answer.seq).toBe(2);
    expect((await customer.nextFrame(messagePush(answer.id))).event).toMatchObject({ message: { senderId: agent2.userId } });
  });

  it('are closed to other customers and to agents of other shops', async () => {
    const shop = uid('shop');
    await srv.login(uid('agent'), { role: 'merchant', shop });
    const customer = await srv.login(uid('cust'));
    const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: shop });
    const otherCustomer = await srv.login(uid('cust'));
    const otherAgent = await srv.login(uid('agent'), { role: 'merchant', shop: 'parley-shop' });

    for (const intruder of [otherCustomer, otherAgent]) {
      const res = await intruder.request('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content: text('hi') });
      expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    }
    expect((await customer.call('messages.range', { conversationId: conversation.id, afterSeq: 0, limit: 10 })).messages).toEqual([]);
  });

  it('cannot be opened with a shop that does not exist (NOT_FOUND)', async () => {
    const customer = await srv.login(uid('cust'));
    const res = await customer.request('conversations.create', { kind: 'direct', shopId: uid('no-such-shop') });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
  });

  it('are opened by customers only', async () => {
    const agent = await srv.login(uid('agent'), { role: 'merchant', shop: 'parley-shop' });
    const res = await agent.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
  });
});

describe('groups', () => {
  it("are made by a shop's agent in the shop's name, customers included", async () => {
    const shopId = uid('shop');
    const agent = await srv.login(uid('agent'), { role: 'merchant', shop: shopId });
    const otherAgent = await srv.login(uid('agent'), { role: 'merchant', shop: shopId });
    const supplier = await srv.login(uid('sup'), { role: 'supplier' });
    const customer = await srv.login(uid('cust'));
    const { conversation } = await agent.call('conversations.create', {
      kind: 'group',
      title: 'Restock',
      memberIds: [supplier.userId, customer.userId, otherAgent.userId],
    });
    expect(conversation).toMatchObject({ kind: 'group', title: 'Restock', shopId, lastSeq: 0 });
    const { members } = await supplier.call('conversations.members', { conversationId: conversation.id });
    // The shop is the member; its agents (the one listed too) speak for it.
    expect(members.map((m) => `${m.kind}:${m.id}`).sort()).toEqual([`shop:${shopId}`, `user:${customer.userId}`, `user:${supplier.userId}`].sort());
    const m = await sendText(otherAgent, conversation.id, 'the shop here');
    expect((await customer.nextFrame(messagePush(m.id))).event).toMatchObject({ message: { senderId: otherAgent.userId } });
  });

  it('are made by partners among themselves, without customers', async () => {
    const supplier = await srv.login(uid('sup'), { role: 'supplier' });
    const distributor = await srv.login(uid('dist'), { role: 'distributor' });
    const { conversation } = await supplier.call('conversations.create', { kind: 'group', title: 'Logistics', memberIds: [distributor.userId] });
    expect(conversation).toMatchObject({ kind: 'group', shopId: null });
  });

  it("cannot pull a shop's customer into a partner's group (FORBIDDEN), so nobody else can pose as the shop's desk", async () => {
    const supplier = await srv.login(uid('sup'), { role: 'supplier' });
    const customer = await srv.login(uid('cust'));
    const res = await supplier.request('conversations.create', { kind: 'group', title: 'Parley Shop support', memberIds: [customer.userId] });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    await customer.ping();
    expect(customer.pushes).toEqual([]);
    expect(await customer.call('conversations.list', { limit: 10, offset: 0 })).toMatchObject({ total: 0 });
  });

  it('cannot be created by a customer (FORBIDDEN)', async () => {
    const customer = await srv.login(uid('cust'));
    const res = await customer.request('conversations.create', { kind: 'group', title: 'mine', memberIds: ['alice'] });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
  });

  it('cannot include users the server has never seen', async () => {
    const supplier = await srv.login(uid('sup'), { role: 'supplier' });
    const res = await supplier.request('conversations.create', { kind: 'group', title: 'ghosts', memberIds: [uid('ghost')] });
    expect(res.ok).toBe(false);
    expect([ErrorCode.NOT_FOUND, ErrorCode.INVALID_PARAMS]).toContain(!res.ok && res.error.code);
  });
});

describe('a user id equal to a shop id', () => {
  /** A shop with an agent, and a customer who talked to it. */
  async function shopWithCustomer() {
    const shopId = uid('shop');
    const agent = await srv.login(uid('agent'), { role: 'merchant', shop: shopId });
    const customer = await srv.login(uid('cust'));
    const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId });
    await sendText(customer, conversation.id, 'my address is 1 Main St');
    await sendText(agent, conversation.id, 'thanks, shipping today');
    return { shopId, agent, customer, conversation };
  }

  it("gives a customer whose id is the shop's none of the shop's conversations", async () => {
    const { shopId, conversation } = await shopWithCustomer();
    const impostor = await srv.login(shopId); // a customer token with sub = the shop's id
    expect(impostor.auth.headCursor).toBe(0);
    expect(await impostor.call('conversations.list', { limit: 50, offset: 0 })).toMatchObject({ total: 0, conversations: [] });
    expect(await impostor.call('sync', { cursor: 0, limit: 500 })).toMatchObject({ events: [] });
    expect(await impostor.request('messages.history', { conversationId: conversation.id, limit: 10 })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.FORBIDDEN },
    });
    await impostor.ping();
    expect(impostor.pushes).toEqual([]);
    // Nor can it open a conversation with that shop, where it would be indistinguishable from it.
    expect(await impostor.request('conversations.create', { kind: 'direct', shopId })).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
  });

  it("gives the merchant of a shop whose id is a customer's none of that customer's conversations", async () => {
    const { customer, conversation } = await shopWithCustomer();
    const merchant = await srv.login(uid('agent'), { role: 'merchant', shop: customer.userId });
    expect(merchant.auth.headCursor).toBe(0);
    expect(await merchant.call('conversations.list', { limit: 50, offset: 0 })).toMatchObject({ total: 0, conversations: [] });
    expect(await merchant.call('sync', { cursor: 0, limit: 500 })).toMatchObject({ events: [] });
    expect(await merchant.request('messages.range', { conversationId: conversation.id, afterSeq: 0, limit: 10 })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.FORBIDDEN },
    });
    // New traffic in the customer's conversation does not reach it either.
    await sendText(customer, conversation.id, 'are you there?');
    await merchant.ping();
    expect(merchant.pushes).toEqual([]);
  });
});
