/**
 * The service desk's rules on the server: only the shop's agents see or change it; a customer's new
 * conversation goes round robin to the online agents, or to the queue; a transfer's note reaches
 * agents only; an action is applied once per actionId; quick replies are the shop's.
 */
import { afterEach, expect, it } from 'vitest';
import type { DeskFrame } from '../../schema';
import { startServer, type LoggedIn, type TestServer } from '../support/server';
import { text } from '../support/fixtures';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const SHOP = 'parley-shop';
const agent = (id: string, shop = SHOP) => server!.login(id, { role: 'merchant', shop });
const assignmentIn = (c: LoggedIn, conversationId: string) =>
  c.nextFrame((f): f is DeskFrame => f.t === 'desk' && f.change.kind === 'assignment' && f.change.assignment.conversationId === conversationId);

async function customerWrites(userId: string): Promise<{ customer: LoggedIn; conversationId: string }> {
  const customer = await server!.login(userId);
  const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: SHOP });
  await customer.call('messages.send', { conversationId: conversation.id, clientId: crypto.randomUUID(), content: text(`hello from ${userId}`) });
  return { customer, conversationId: conversation.id };
}

it("assigns customers' new conversations round robin among the online agents, and to the queue when none is", async () => {
  server = await startServer({ sessionPolicy: 'multi' });
  const a = await agent('agent-a');
  const b = await agent('agent-b');
  await b.call('presence.set', { status: 'away' });
  const c = await agent('agent-c');
  const picked: (string | null)[] = [];
  for (const customer of ['alice', 'bob', 'carol']) {
    const seen = a.nextFrame((f): f is DeskFrame => f.t === 'desk' && f.change.kind === 'assignment');
    const { conversationId } = await customerWrites(customer);
    const frame = await seen;
    expect(frame.change).toMatchObject({ kind: 'assignment', assignment: { conversationId } });
    picked.push((frame.change as { assignment: { agentId: string | null } }).assignment.agentId);
  }
  // agent-b is away: a, c, a.
  expect(picked).toEqual(['agent-a', 'agent-c', 'agent-a']);
  await Promise.all([a.close(), b.close(), c.close()]);
  const late = await agent('agent-late');
  await late.call('presence.set', { status: 'away' });
  const seen = late.nextFrame((f): f is DeskFrame => f.t === 'desk' && f.change.kind === 'assignment');
  const { conversationId } = await customerWrites('dave');
  expect((await seen).change).toMatchObject({ assignment: { conversationId, agentId: null } });
  const { assignments } = await late.call('desk.state', {});
  expect(assignments.find((x) => x.conversationId === conversationId)).toMatchObject({ agentId: null, by: null });
});

it('transfers with a note the agents see and the customer never does; an action is applied once', async () => {
  server = await startServer();
  const a = await agent('agent-a');
  const b = await agent('agent-b');
  const { customer, conversationId } = await customerWrites('alice');
  await assignmentIn(b, conversationId);
  const actionId = crypto.randomUUID();
  const seenByB = assignmentIn(b, conversationId);
  const first = await a.call('desk.assign', { actionId, conversationId, agentId: 'agent-b', note: 'wants a refund; order 42' });
  expect(first).toMatchObject({ duplicate: false, assignment: { agentId: 'agent-b', note: 'wants a refund; order 42', by: 'agent-a' } });
  expect((await seenByB).change).toMatchObject({ assignment: { agentId: 'agent-b', note: 'wants a refund; order 42' } });
  // The same action again (a queued transfer sent after a reconnect): nothing changes, nobody is told.
  const again = await a.call('desk.assign', { actionId, conversationId, agentId: 'agent-b', note: 'wants a refund; order 42' });
  expect(again).toEqual({ ...first, duplicate: true });
  await b.ping();
  expect(b.frames.filter((f) => f.t === 'desk' && f.change.kind === 'assignment' && f.change.assignment.conversationId === conversationId)).toHaveLength(2);
  // The customer: no desk frame, no desk at all, and the note nowhere in what they can read.
  await customer.ping();
  expect(customer.frames.filter((f) => f.t === 'desk')).toEqual([]);
  await expect(customer.call('desk.state', {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  await expect(customer.call('desk.assign', { actionId: crypto.randomUUID(), conversationId, agentId: null })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  const visible = JSON.stringify([await customer.call('messages.history', { conversationId, limit: 50 }), await customer.call('sync', { cursor: 0, limit: 500 })]);
  expect(visible).not.toContain('refund');
});

it("refuses another shop's agent, a conversation of another shop, and an assignee who is not the shop's agent", async () => {
  server = await startServer();
  const a = await agent('agent-a');
  await agent('agent-b');
  const other = await agent('rival', 'rival-shop');
  const { conversationId } = await customerWrites('alice');
  await expect(other.call('desk.assign', { actionId: crypto.randomUUID(), conversationId, agentId: 'rival' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  await expect(a.call('desk.assign', { actionId: crypto.randomUUID(), conversationId, agentId: 'rival' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(a.call('desk.assign', { actionId: crypto.randomUUID(), conversationId, agentId: 'alice' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  const { assignment } = await a.call('desk.assign', { actionId: crypto.randomUUID(), conversationId, agentId: null });
  expect(assignment).toMatchObject({ agentId: null, by: 'agent-a' });
  // The shop's agents, with their presence (the demo's agents are known but not connected); not the rival.
  const { agents } = await a.call('desk.state', {});
  expect(agents.map((x) => [x.id, x.state])).toEqual([
    ['agent-a', 'online'],
    ['agent-b', 'online'],
    ['shop-agent', 'offline'],
    ['shop-agent-2', 'offline'],
  ]);
});

it("keeps quick replies per shop, for its agents only, and tells the shop's other agents", async () => {
  server = await startServer();
  const a = await agent('agent-a');
  const b = await agent('agent-b');
  const rival = await agent('rival', 'rival-shop');
  const reply = { id: crypto.randomUUID(), shortcut: 'ship', text: 'We ship within 24 hours.' };
  const seen = b.nextFrame((f) => f.t === 'desk' && f.change.kind === 'replies');
  expect((await a.call('desk.replies.save', { reply })).quickReplies).toEqual([reply]);
  expect(((await seen) as DeskFrame).change).toEqual({ kind: 'replies', quickReplies: [reply] });
  expect((await rival.call('desk.state', {})).quickReplies).toEqual([]);
  await expect(a.call('desk.replies.save', { reply: { ...reply, shortcut: 'two words' } })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
  expect((await b.call('desk.replies.delete', { id: reply.id })).quickReplies).toEqual([]);
  const customer = await server.login('alice');
  await expect(customer.call('desk.replies.save', { reply })).rejects.toMatchObject({ code: 'FORBIDDEN' });
});
