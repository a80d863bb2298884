/**
 * A new device starts at the head: a shop agent with 5,000 stored messages over 50 conversations
 * opens a fresh browser profile. It gets the conversation list with unread counts and each
 * conversation's latest page, without the push stream replayed, then pages history back on demand.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../worker/protocol';
import { metricValue } from '../support/fixtures';
import { online, startMessagingClient, viewWhen, type NodeClient } from '../support/messagingClient';
import { nodePlatform } from '../support/nodePlatform';
import { SEEDED_SHOP as SHOP, SHOP_AGENT as AGENT, seedShopHistory } from '../support/seedHistory';
import { makeTempDir, startServer, type TestServer } from '../support/server';

const CONVERSATIONS = 50;
const PER_CONVERSATION = 100;
const FIRST_PAGE = 50;

let server: TestServer | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server?.stop();
  server = undefined;
});

/** The pushes the server sent so far, to every socket. */
const pushesSent = (s: TestServer): number => metricValue(s.server.metrics.registry.render(), 'parley_pushes_sent_total') ?? 0;

async function agentDevice(s: TestServer, file: string): Promise<{ client: NodeClient; events: EngineEvent[] }> {
  const client = await startMessagingClient(s.wsUrl, AGENT.userId, file, nodePlatform(), { role: 'merchant', shop: SHOP, name: AGENT.displayName });
  const events: EngineEvent[] = [];
  client.engine.events.on((e) => events.push(e));
  cleanups.push(() => client.stop());
  return { client, events };
}

/** Resolves once the device holds the whole head (its marker is gone). */
async function headLoaded(client: NodeClient): Promise<void> {
  for (let i = 0; i < 400 && (await client.store.headPending()); i++) await new Promise((r) => setTimeout(r, 25));
  expect(await client.store.headPending()).toBe(false);
}

describe('a new device', () => {
  it('starts at the head: the list with unread counts and each latest page, no replay; history pages back on demand', async () => {
    const dataDir = await makeTempDir();
    server = await startServer({ dataDir });
    const ids = await seedShopHistory(server.server.store, CONVERSATIONS, PER_CONVERSATION);
    const expected = await server.server.store.listConversations(AGENT, 200, 0);
    const head = await server.server.store.streamHead();
    expect(head).toBeGreaterThanOrEqual(CONVERSATIONS * PER_CONVERSATION);
    const pushesBefore = pushesSent(server);

    const file = path.join(dataDir, 'agent-local.db');
    const { client, events } = await agentDevice(server, file);
    await online(client.engine);
    await headLoaded(client);

    expect(events).toContainEqual({ type: 'rebuild', reason: 'new_device', cursor: head });
    // Nothing of the stream was pushed or reported: the head came as 2 pages of sync.head.
    expect(pushesSent(server)).toBe(pushesBefore);
    expect(events.filter((e) => e.type === 'receive')).toEqual([]);

    const list = await client.store.conversationList(200, 0);
    expect(list).toHaveLength(CONVERSATIONS);
    expect(new Map(list.map((c) => [c.id, c.unread]))).toEqual(new Map(expected.conversations.map((c) => [c.id, c.unread])));
    expect(list.map((c) => c.id)).toEqual(expected.conversations.map((c) => c.id));
    for (const id of ids) {
      const latest = await client.store.latest(id, 500);
      expect(latest.map((m) => m.seq)).toEqual(Array.from({ length: FIRST_PAGE }, (_, i) => PER_CONVERSATION - FIRST_PAGE + 1 + i));
    }
    // Receipts came with the head: the agent's own messages show as far as the customer read.
    const members = await server.server.store.listMembers(ids[0]!);
    const customerRead = members.find((m) => m.kind === 'user')!.readSeq;
    expect(customerRead).toBeGreaterThan(PER_CONVERSATION - FIRST_PAGE);
    const own = (await client.store.latest(ids[0]!, 500)).filter((m) => m.senderId === AGENT.userId);
    expect(own.map((m) => [m.seq, m.state])).toEqual(own.map((m) => [m.seq, m.seq! <= customerRead ? 'read' : 'sent']));
    expect(own.some((m) => m.state === 'read')).toBe(true);

    // Scrolling back: local first, then the server, until the first message.
    let oldest = PER_CONVERSATION - FIRST_PAGE + 1;
    const seen: number[] = [];
    while (oldest > 1) {
      const page = await client.messaging.loadOlder(ids[7]!, oldest, 30);
      expect(page.length).toBeGreaterThan(0);
      seen.unshift(...page.map((m) => m.seq!));
      oldest = page[0]!.seq!;
    }
    expect(seen).toEqual(Array.from({ length: PER_CONVERSATION - FIRST_PAGE }, (_, i) => i + 1));
    expect(await client.store.historyComplete(ids[7]!)).toBe(true);

    // Live after the head: a new message arrives as a push right after the head cursor.
    const customer = await server.login('cust-03');
    await customer.call('messages.send', { conversationId: ids[3]!, clientId: randomUUID(), content: { type: 'text', text: 'still there?' }, echo: false });
    await viewWhen(client.messaging, ids[3]!, (ms) => ms.some((m) => m.seq === PER_CONVERSATION + 1));
    expect(events.filter((e) => e.type === 'receive_error')).toEqual([]);
    expect(pushesSent(server)).toBe(pushesBefore + 1);

    // A reload resumes from the stored cursor: no second rebuild, no head to load.
    await cleanups.pop()!();
    const again = await agentDevice(server, file);
    await online(again.client.engine);
    expect(again.events.filter((e) => e.type === 'rebuild')).toEqual([]);
    expect(await again.client.store.headPending()).toBe(false);
    expect((await again.client.store.latest(ids[3]!, 1))[0]?.seq).toBe(PER_CONVERSATION + 1);
  });
});
