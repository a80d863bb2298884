/** A shop conversation: every agent speaks for the shop, so one agent's reply is the shop's read. */
import { afterEach, expect, it } from 'vitest';
import type { PushFrame } from '../../schema';
import { startServer, type TestServer } from '../support/server';
import { text } from '../support/fixtures';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

it("tells the shop's other agents that the shop has read up to an agent's reply", async () => {
  server = await startServer();
  const alice = await server.login('alice');
  const agentA = await server.login('agent-a', { role: 'merchant', shop: 'parley-shop' });
  const agentB = await server.login('agent-b', { role: 'merchant', shop: 'parley-shop' });
  const { conversation } = await alice.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
  await alice.call('messages.send', { conversationId: conversation.id, clientId: crypto.randomUUID(), content: text('hello?') });
  const isShopRead = (f: unknown): f is PushFrame => {
    const p = f as PushFrame;
    return p.t === 'push' && p.event.kind === 'receipt' && p.event.userId === 'parley-shop' && p.event.receipt === 'read' && p.event.upToSeq === 2;
  };
  const seenByB = agentB.nextFrame(isShopRead);
  await agentA.call('messages.send', { conversationId: conversation.id, clientId: crypto.randomUUID(), content: text('hi, how can I help?') });
  expect((await seenByB).event).toMatchObject({ kind: 'receipt', userId: 'parley-shop', receipt: 'read', upToSeq: 2 });
  const { conversations } = await agentB.call('conversations.list', { limit: 10, offset: 0 });
  expect(conversations[0]).toMatchObject({ id: conversation.id, readSeq: 2, unread: 0 });
});
