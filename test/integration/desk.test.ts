/**
 * The desk on an agent's device against the real server: a transfer made offline survives a reload
 * of the client and is applied exactly once when the network is back; the view shows it queued
 * meanwhile and follows the server's changes.
 */
import { afterEach, expect, it } from 'vitest';
import type { DeskView } from '../../worker/protocol';
import { startMessagingClient, type NodeClient } from '../support/messagingClient';
import { startServer, type TestServer } from '../support/server';
import { TcpProxy } from '../support/tcpProxy';
import { text } from '../support/fixtures';

let server: TestServer | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
  await server?.stop();
  server = undefined;
});

const SHOP = 'parley-shop';

async function agentClient(url: string, user: string, file?: string): Promise<NodeClient> {
  const client = await startMessagingClient(url, user, file, undefined, { role: 'merchant', shop: SHOP });
  cleanups.push(() => client.stop());
  return client;
}

/** The next desk view that passes `ok` (the current one if it does). */
function deskWhen(client: NodeClient, ok: (d: DeskView) => boolean, timeoutMs = 10_000): Promise<DeskView> {
  return new Promise((resolve, reject) => {
    const now = client.messaging.desk.view();
    if (now && ok(now)) return resolve(now);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no such desk in ${timeoutMs} ms; last: ${JSON.stringify(client.messaging.desk.view())}`));
    }, timeoutMs);
    const off = client.messaging.events.on((e) => {
      if (e.type !== 'desk' || !ok(e.desk)) return;
      clearTimeout(timer);
      off();
      resolve(e.desk);
    });
  });
}

it('queues a transfer made offline across a reload and applies it once when back online', async () => {
  server = await startServer();
  const proxy = new TcpProxy(server.port);
  await proxy.start();
  cleanups.push(() => proxy.close());
  const colleague = await server.login('agent-b', { role: 'merchant', shop: SHOP });
  const customer = await server.login('alice');
  const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: SHOP });
  await customer.call('messages.send', { conversationId: conversation.id, clientId: crypto.randomUUID(), content: text('help') });

  const file = `${server.dataDir}/agent-a-local.db`;
  const first = await agentClient(`ws://127.0.0.1:${proxy.port}/ws`, 'agent-a', file);
  await deskWhen(first, (d) => d.assignments.some((a) => a.conversationId === conversation.id));
  proxy.setMode('refuse');
  await first.messaging.desk.assign(conversation.id, 'agent-b', 'VIP: answer today');
  const queued = first.messaging.desk.view()!;
  expect(queued.queued).toBe(1);
  expect(queued.assignments.find((a) => a.conversationId === conversation.id)).toMatchObject({ agentId: 'agent-b', note: 'VIP: answer today', queued: true });
  await cleanups.pop()!(); // the tab reloads while offline

  const isTransfer = (f: { t: string; change?: unknown }) => f.t === 'desk' && (f.change as { assignment?: { note?: string } }).assignment?.note === 'VIP: answer today';
  const seen = colleague.nextFrame(isTransfer);
  proxy.setMode('forward');
  const second = await agentClient(`ws://127.0.0.1:${proxy.port}/ws`, 'agent-a', file);
  const applied = await deskWhen(second, (d) => d.queued === 0 && d.assignments.some((a) => a.conversationId === conversation.id && a.agentId === 'agent-b'));
  expect(applied.assignments.find((a) => a.conversationId === conversation.id)).toMatchObject({ agentId: 'agent-b', note: 'VIP: answer today', by: 'agent-a' });
  expect(applied.assignments.find((a) => a.conversationId === conversation.id)!.queued).toBeUndefined();
  await seen;
  expect(await second.store.deskActions()).toEqual([]);
  // Once: the colleague heard of it once, and the server holds one action for it.
  await colleague.ping();
  expect(colleague.frames.filter(isTransfer)).toHaveLength(1);
});

it('drops an action the server refuses for good, and says so', async () => {
  server = await startServer();
  const customer = await server.login('alice');
  const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: SHOP });
  const a = await agentClient(server.wsUrl, 'agent-a');
  await deskWhen(a, () => true);
  const refused = new Promise((resolve) => a.messaging.events.on((e) => e.type === 'desk_error' && resolve(e)));
  await a.messaging.desk.assign(conversation.id, 'nobody-here');
  expect(await refused).toMatchObject({ type: 'desk_error', conversationId: conversation.id, code: 'NOT_FOUND' });
  await deskWhen(a, (d) => d.queued === 0);
  expect(await a.store.deskActions()).toEqual([]);
});
