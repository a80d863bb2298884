/**
 * Local-first messaging in Node: the worker's Engine + SyncLayer + LocalStore (on better-sqlite3,
 * the same SQL the browser runs) against the real server on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../schema';
import { online, startMessagingClient, viewWhen } from '../support/messagingClient';
import { startServer, type TestServer } from '../support/server';
import { TcpProxy } from '../support/tcpProxy';

let server: TestServer | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server?.stop();
  server = undefined;
});

async function startClient(url: string, user: string, file = ':memory:') {
  const client = await startMessagingClient(url, user, file);
  cleanups.push(() => client.stop());
  return client;
}

describe('Messaging against the real server', () => {
  it('stores a send as pending at once, then sends it and records seq and state', async () => {
    server = await startServer();
    const alice = await startClient(server.wsUrl, 'alice');
    await online(alice.engine);
    const { conversation } = await alice.engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const pending = await alice.messaging.send(conversation.id, { type: 'text', text: 'hello' });
    expect(pending).toMatchObject({ state: 'pending', seq: null });
    const [m] = await viewWhen(alice.messaging, conversation.id, (ms) => ms[0]?.seq === 1);
    expect(m).toMatchObject({ id: pending.id, state: 'sent', seq: 1 });
  });

  it('refuses content the server would refuse, before storing it', async () => {
    server = await startServer();
    const alice = await startClient(server.wsUrl, 'alice');
    const big = { type: 'text' as const, text: '字'.repeat(6000) }; // 18 kB of UTF-8
    await expect(alice.messaging.send('c1', big)).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.PAYLOAD_TOO_LARGE));
    await expect(alice.messaging.send('c1', { type: 'text', text: '' })).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.INVALID_PARAMS));
    expect(await alice.store.pendingCount()).toBe(0);
  });

  it('keeps sends made offline across a restart of the client and delivers them once, in order', async () => {
    server = await startServer();
    const proxy = new TcpProxy(server.port);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const file = `${server.dataDir}/alice-local.db`;
    const first = await startClient(`ws://127.0.0.1:${proxy.port}/ws`, 'alice', file);
    await online(first.engine);
    const { conversation } = await first.engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    proxy.setMode('refuse');
    const texts = Array.from({ length: 5 }, (_, i) => `offline ${i}`);
    for (const t of texts) await first.messaging.send(conversation.id, { type: 'text', text: t });
    // The client goes away (a reload) with everything still pending.
    const stop = cleanups.pop()!;
    await stop();
    proxy.setMode('forward');
    const second = await startClient(`ws://127.0.0.1:${proxy.port}/ws`, 'alice', file);
    const view = await viewWhen(second.messaging, conversation.id, (ms) => ms.length === 5 && ms.every((m) => m.seq !== null));
    expect(view.map((m) => (m.content as { text: string }).text)).toEqual(texts);
    const { messages } = await server.server.store.history(conversation.id, undefined, 100);
    expect(messages.map((m) => (m.content as { text: string }).text)).toEqual(texts);
  });

  it('flushes 250 messages queued offline: each stored once, in the order typed', async () => {
    server = await startServer();
    const proxy = new TcpProxy(server.port);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const alice = await startClient(`ws://127.0.0.1:${proxy.port}/ws`, 'alice');
    await online(alice.engine);
    const { conversation } = await alice.engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    proxy.setMode('refuse');
    proxy.cutAll();
    const texts = Array.from({ length: 250 }, (_, i) => `queued ${i}`);
    for (const t of texts) await alice.messaging.send(conversation.id, { type: 'text', text: t });
    const framesBefore = await server.server.metrics.registry.render();
    proxy.setMode('forward');
    await viewWhen(alice.messaging, conversation.id, (ms) => ms.length >= 250 && ms.every((m) => m.seq !== null), 15_000);
    const { messages } = await server.server.store.range(conversation.id, 0, 500);
    expect(messages.map((m) => (m.content as { text: string }).text)).toEqual(texts);
    expect(framesBefore).toContain('parley_messages_stored_total 0');
    expect(await server.server.metrics.registry.render()).toContain('parley_messages_stored_total 250');
  });

  it("moves the sender's message to delivered and read as the shop's receipts arrive", async () => {
    server = await startServer();
    const alice = await startClient(server.wsUrl, 'alice');
    await online(alice.engine);
    const { conversation } = await alice.engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const sent = await alice.messaging.send(conversation.id, { type: 'text', text: 'is it in stock?' });
    await viewWhen(alice.messaging, conversation.id, (ms) => ms[0]?.state === 'sent');
    const agent = await server.login('shop-agent', { role: 'merchant', shop: 'parley-shop' });
    await agent.call('receipts.delivered', { conversationId: conversation.id, upToSeq: 1 });
    await viewWhen(alice.messaging, conversation.id, (ms) => ms[0]?.state === 'delivered');
    await agent.call('conversations.markRead', { conversationId: conversation.id, upToSeq: 1 });
    const [m] = await viewWhen(alice.messaging, conversation.id, (ms) => ms[0]?.state === 'read');
    expect(m!.id).toBe(sent.id);
  });
});
