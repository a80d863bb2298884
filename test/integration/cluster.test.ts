/**
 * Three server nodes (child processes) on one PostgreSQL and one Redis, behind a round-robin load
 * balancer, with the worker's engine as Node clients. A node killed mid-burst (SIGKILL) or stopped
 * (SIGTERM) loses nothing: its clients re-home to a live node, replay from their cursor, and their
 * outboxes are stored exactly once, in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Content } from '../../schema';
import { LoadBalancer } from '../support/loadBalancer';
import { online, startMessagingClient, viewWhen, type NodeClient } from '../support/messagingClient';
import { killSpawned, makeTempDir, spawnServer, type SpawnedServer } from '../support/server';
import { databaseUrl, dropSchema, freshSchema, redisUrl, SKIP_NOTE } from '../support/services';

const text = (t: string): Content => ({ type: 'text', text: t });

describe.skipIf(!databaseUrl || !redisUrl)(`three nodes behind a load balancer${databaseUrl ? '' : ` (${SKIP_NOTE})`}`, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
    await killSpawned();
  });

  async function cluster(n: number): Promise<{ nodes: SpawnedServer[]; lb: LoadBalancer; url: string }> {
    const schema = freshSchema();
    cleanups.push(() => dropSchema(schema));
    const env = { PARLEY_DATABASE_URL: databaseUrl!, PARLEY_DATABASE_SCHEMA: schema, PARLEY_REDIS_URL: redisUrl! };
    const nodes: SpawnedServer[] = [];
    // One at a time: the first runs the migrations and seeds the demo shop.
    for (let i = 0; i < n; i++) nodes.push(await spawnServer(await makeTempDir(), env));
    const lb = new LoadBalancer(nodes.map((s) => s.port));
    await lb.start();
    cleanups.push(() => lb.close());
    return { nodes, lb, url: `ws://127.0.0.1:${lb.port}/ws` };
  }

  async function client(url: string, user: string, identity = {}): Promise<NodeClient> {
    const c = await startMessagingClient(url, user, ':memory:', undefined, identity);
    cleanups.push(() => c.stop());
    await online(c.engine);
    return c;
  }

  const texts = (ms: { content: Content }[]) => ms.map((m) => (m.content as { text: string }).text);

  it('a node killed mid-burst: its client re-homes and every message is stored once, in order, and reaches the other side', async () => {
    const { nodes, lb, url } = await cluster(3);
    // Round-robin: alice lands on node 0, the agent on node 1.
    const alice = await client(url, 'alice');
    const agent = await client(url, 'shop-agent', { role: 'merchant', shop: 'parley-shop' });
    expect(lb.handed.get(nodes[0]!.port)).toBe(1);
    const { conversation } = await alice.engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const burst = Array.from({ length: 40 }, (_, i) => `m${i}`);
    for (const t of burst.slice(0, 20)) await alice.messaging.send(conversation.id, text(t));
    // Some are on their way when alice's node dies.
    await viewWhen(alice.messaging, conversation.id, (ms) => ms.some((m) => m.state === 'sent'));
    await nodes[0]!.kill9();
    lb.setBackends(nodes.slice(1).map((s) => s.port));
    for (const t of burst.slice(20)) await alice.messaging.send(conversation.id, text(t));

    // Stored by the server (sent), or further (delivered to the agent's device, read).
    const stored = (m: { state: string; seq: number | null }) => m.seq !== null && m.state !== 'pending' && m.state !== 'failed';
    const mine = await viewWhen(alice.messaging, conversation.id, (ms) => ms.length === 40 && ms.every(stored), 20_000);
    expect(texts(mine)).toEqual(burst);
    expect(mine.map((m) => m.seq)).toEqual(burst.map((_, i) => i + 1));
    const theirs = await viewWhen(agent.messaging, conversation.id, (ms) => ms.length === 40, 20_000);
    expect(texts(theirs)).toEqual(burst);
    // The server has each exactly once.
    const { messages } = await agent.engine.request('messages.history', { conversationId: conversation.id, limit: 100 });
    expect(texts(messages)).toEqual(burst);
  }, 60_000);

  it('a node stopped with SIGTERM: its clients are told to go elsewhere and are back at once', async () => {
    const { nodes, lb, url } = await cluster(2);
    const alice = await client(url, 'alice');
    const agent = await client(url, 'shop-agent', { role: 'merchant', shop: 'parley-shop' });
    const { conversation } = await alice.engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    await alice.messaging.send(conversation.id, text('before'));
    await viewWhen(agent.messaging, conversation.id, (ms) => ms.length === 1);

    const states: { status: string; attempt?: number; lastError?: { message: string } }[] = [];
    agent.engine.events.on((e) => {
      if (e.type === 'state') states.push(e.state as (typeof states)[number]);
    });
    // The agent is on node 1: stop it; the balancer sends the reconnect to node 0.
    lb.setBackends([nodes[0]!.port]);
    await nodes[1]!.stop();
    await online(agent.engine);
    // Told to go elsewhere (4005), not dropped: it came back without counting a failure.
    const away = states.find((st) => st.status === 'backoff');
    expect(away).toMatchObject({ attempt: 0, lastError: { message: expect.stringContaining('4005') } });
    expect(states.filter((st) => st.status === 'backoff')).toHaveLength(1);

    await alice.messaging.send(conversation.id, text('after'));
    const seen = await viewWhen(agent.messaging, conversation.id, (ms) => ms.length === 2);
    expect(texts(seen)).toEqual(['before', 'after']);
  }, 30_000);
});
