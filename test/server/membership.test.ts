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
  it('are created by non-customers with the seeded users', async () => {
    const supplier = await srv.login('supplier', { role: 'supplier' });
    const { conversation } = await supplier.call('conversations.create', {
      kind: 'group',
      title: 'Restock',
      memberIds: ['distributor', 'alice'],
    });
    expect(conversation).toMatchObject({ kind: 'group', title: 'Restock', shopId: null, lastSeq: 0 });
    const { members } = await supplier.call('conversations.members', { conversationId: conversation.id });
    expect(members.map((m) => m.id).sort()).toEqual(['alice', 'distributor', 'supplier']);
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
