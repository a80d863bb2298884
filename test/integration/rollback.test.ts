/**
 * A server that lost the tail of its history (restored from a backup here; a power loss with
 * synchronous=NORMAL does the same) while a device had already stored that tail. New events then
 * reuse the lost cursors and seqs. The device must notice (its epoch's history ends before its
 * cursor), say so, send its own lost messages again exactly once, drop others' lost ones, and
 * keep every new message, none mistaken for a duplicate.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite/SqliteStore';
import type { EngineEvent } from '../../worker/protocol';
import { online, startMessagingClient, viewWhen, type NodeClient } from '../support/messagingClient';
import { makeTempDir, onPostgres, startServer, type TestServer } from '../support/server';

let server: TestServer | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server?.stop();
  server = undefined;
});

const SHOP = 'parley-shop';
const text = (t: string) => ({ type: 'text' as const, text: t });
const texts = (ms: { content: unknown }[]) => ms.map((m) => (m.content as { text: string }).text);

async function alice(url: string, file: string): Promise<{ client: NodeClient; events: EngineEvent[] }> {
  const client = await startMessagingClient(url, 'alice', file);
  const events: EngineEvent[] = [];
  client.engine.events.on((e) => events.push(e));
  cleanups.push(() => client.stop());
  return { client, events };
}

describe('a server that lost history a device stored', () => {
  // Restores a SQLite backup file; PostgreSQL's restores are the operator's (a new epoch with them).
  it.skipIf(onPostgres)('makes the device resync loudly: its lost sends go again once, others lost are dropped, new messages at reused seqs are kept', async () => {
    const dataDir = await makeTempDir();
    const localFile = path.join(dataDir, 'alice-local.db');
    server = await startServer({ dataDir });
    const first = await alice(server.wsUrl, localFile);
    await online(first.client.engine);
    const agent = await server.login('shop-agent', { role: 'merchant', shop: SHOP });
    const { conversation } = await first.client.engine.request('conversations.create', { kind: 'direct', shopId: SHOP });
    const id = conversation.id;
    await agent.call('messages.send', { conversationId: id, clientId: crypto.randomUUID(), content: text('a1') });
    await first.client.messaging.send(id, text('c1'));
    await viewWhen(first.client.messaging, id, (ms) => ms.filter((m) => m.seq !== null).length === 2);

    // A backup now; then history the device stores and the server will lose.
    const backup = path.join(dataDir, 'backup.db');
    const sqlite = server.server.store;
    if (!(sqlite instanceof SqliteStore)) throw new Error('this test restores a SQLite backup');
    await sqlite.db.backup(backup);
    const lostOwn = await first.client.messaging.send(id, text('c2 (lost by the server)'));
    await agent.call('messages.send', { conversationId: id, clientId: crypto.randomUUID(), content: text('a2 (lost by the server)') });
    await viewWhen(first.client.messaging, id, (ms) => ms.filter((m) => m.seq !== null).length === 4);
    await cleanups.pop()!();

    // The server comes back from the backup, and new messages reuse the lost seqs and cursors.
    await server.stop({ keepDataDir: true });
    for (const suffix of ['', '-wal', '-shm']) await fs.rm(path.join(dataDir, `parley.db${suffix}`), { force: true });
    await fs.copyFile(backup, path.join(dataDir, 'parley.db'));
    server = await startServer({ dataDir });
    const agentAgain = await server.login('shop-agent', { role: 'merchant', shop: SHOP });
    await agentAgain.call('messages.send', { conversationId: id, clientId: crypto.randomUUID(), content: text('a3 (new, at a reused seq)') });

    const second = await alice(server.wsUrl, localFile);
    const resynced = new Promise<EngineEvent>((resolve) => second.client.engine.events.on((e) => e.type === 'resync' && resolve(e)));
    expect(await resynced).toEqual({ type: 'resync', reason: 'server_rollback', cursor: expect.any(Number), requeued: 1, dropped: 1 });
    const view = await viewWhen(second.client.messaging, id, (ms) => ms.length === 4 && ms.every((m) => m.seq !== null && m.state !== 'pending'));
    expect(texts(view)).toEqual(['a1', 'c1', 'a3 (new, at a reused seq)', 'c2 (lost by the server)']);
    expect(view.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(view[3]).toMatchObject({ id: lostOwn.id, state: 'sent' });
    // The server holds each message once: the resend was stored, nothing twice.
    const { messages } = await agentAgain.call('messages.range', { conversationId: id, afterSeq: 0, limit: 200 });
    expect(texts(messages)).toEqual(texts(view));
    // And the device carries on in the server's new epoch: a reconnect asks for no resync.
    const resyncs = second.events.filter((e) => e.type === 'resync').length;
    second.client.engine.reconnect();
    await online(second.client.engine);
    await agentAgain.call('messages.send', { conversationId: id, clientId: crypto.randomUUID(), content: text('a4') });
    await viewWhen(second.client.messaging, id, (ms) => ms.some((m) => texts([m])[0] === 'a4'));
    expect(second.events.filter((e) => e.type === 'resync')).toHaveLength(resyncs);
  });

  it('asks for nothing after a plain restart: the device resumes where it was', async () => {
    const dataDir = await makeTempDir();
    const localFile = path.join(dataDir, 'alice-local.db');
    server = await startServer({ dataDir });
    const first = await alice(server.wsUrl, localFile);
    await online(first.client.engine);
    const { conversation } = await first.client.engine.request('conversations.create', { kind: 'direct', shopId: SHOP });
    await first.client.messaging.send(conversation.id, text('before the restart'));
    await viewWhen(first.client.messaging, conversation.id, (ms) => ms[0]?.seq === 1);
    await cleanups.pop()!();
    await server.stop({ keepDataDir: true });
    server = await startServer({ dataDir });

    const second = await alice(server.wsUrl, localFile);
    await online(second.client.engine);
    await second.client.messaging.send(conversation.id, text('after'));
    await viewWhen(second.client.messaging, conversation.id, (ms) => ms[1]?.seq === 2);
    expect(second.events.filter((e) => e.type === 'resync')).toEqual([]);
  });
});
