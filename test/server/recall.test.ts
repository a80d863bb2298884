/**
 * Recall on the server: the sender alone, within the window for their role; every member's device
 * is pushed a `recall` event (protocol 5; older clients are passed over it); placeholders cannot be sent.
 */
import { afterEach, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type PushFrame } from '../../schema';
import { startServer, type TestServer } from '../support/server';
import { text } from '../support/fixtures';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const SHOP = 'parley-shop';
const isRecall = (f: unknown): f is PushFrame => (f as PushFrame).t === 'push' && (f as PushFrame).event.kind === 'recall';

it('pushes a recall to every member, replaces the message in history, and answers a repeat the same', async () => {
  server = await startServer();
  const alice = await server.login('alice');
  const agent = await server.login('agent-a', { role: 'merchant', shop: SHOP });
  const { conversation } = await alice.call('conversations.create', { kind: 'direct', shopId: SHOP });
  const id = crypto.randomUUID();
  const { message } = await alice.call('messages.send', { conversationId: conversation.id, clientId: id, content: text('my card is 4111') });
  const seen = agent.nextFrame(isRecall);
  const first = await alice.call('messages.recall', { conversationId: conversation.id, messageId: id });
  expect(first.message).toMatchObject({ id, seq: message.seq, content: { type: 'recalled' } });
  expect((await seen).event).toEqual({ kind: 'recall', conversationId: conversation.id, senderId: 'alice', messageId: id, seq: message.seq });
  expect(await alice.call('messages.recall', { conversationId: conversation.id, messageId: id })).toEqual(first);
  const { messages } = await agent.call('messages.history', { conversationId: conversation.id, limit: 10 });
  expect(messages.map((m) => m.content)).toEqual([{ type: 'recalled' }]);
});

it("refuses another member's message (NOT_FOUND) and a recall past the window for the sender's role", async () => {
  server = await startServer({ recallWindowMs: 0, agentRecallWindowMs: 60_000 });
  const alice = await server.login('alice');
  const agent = await server.login('agent-a', { role: 'merchant', shop: SHOP });
  const { conversation } = await alice.call('conversations.create', { kind: 'direct', shopId: SHOP });
  const mine = crypto.randomUUID();
  await alice.call('messages.send', { conversationId: conversation.id, clientId: mine, content: text('hello') });
  await expect(agent.call('messages.recall', { conversationId: conversation.id, messageId: mine })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  // A customer's window is 0 here: too late at once. An agent's is a minute.
  await new Promise((r) => setTimeout(r, 5));
  await expect(alice.call('messages.recall', { conversationId: conversation.id, messageId: mine })).rejects.toMatchObject({ code: 'RECALL_WINDOW_PASSED' });
  const theirs = crypto.randomUUID();
  await agent.call('messages.send', { conversationId: conversation.id, clientId: theirs, content: text('our reply') });
  await expect(agent.call('messages.recall', { conversationId: conversation.id, messageId: theirs })).resolves.toMatchObject({ message: { content: { type: 'recalled' } } });
  const mallory = await server.login('mallory');
  await expect(mallory.call('messages.recall', { conversationId: conversation.id, messageId: theirs })).rejects.toMatchObject({ code: 'FORBIDDEN' });
});

it('refuses to send the placeholders, and passes an older client over the recall, live and in sync', async () => {
  server = await startServer();
  const alice = await server.login('alice');
  const old = await server.login('agent-old', { role: 'merchant', shop: SHOP, v: PROTOCOL_VERSION - 1 });
  const { conversation } = await alice.call('conversations.create', { kind: 'direct', shopId: SHOP });
  for (const type of ['recalled', 'deleted']) {
    await expect(alice.call('messages.send', { conversationId: conversation.id, clientId: crypto.randomUUID(), content: { type } })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
  }
  const id = crypto.randomUUID();
  await alice.call('messages.send', { conversationId: conversation.id, clientId: id, content: text('hello') });
  await alice.call('messages.recall', { conversationId: conversation.id, messageId: id });
  // A message after the recall: once the old client has it, the recall would have come before it.
  const after = crypto.randomUUID();
  await alice.call('messages.send', { conversationId: conversation.id, clientId: after, content: text('sorry') });
  await old.nextFrame((f) => f.t === 'push' && f.event.kind === 'message' && f.event.message.id === after);
  expect(old.pushes.filter((p) => p.event.kind === 'recall')).toEqual([]);
  expect(old.violations).toEqual([]);
  const { events, nextCursor } = await old.call('sync', { cursor: 0, limit: 100 });
  expect(events.map((e) => e.event.kind)).not.toContain('recall');
  expect(nextCursor).toBe(old.pushes.at(-1)!.cursor);
});
