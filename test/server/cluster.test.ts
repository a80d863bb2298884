/**
 * Two servers on one PostgreSQL database and one Redis: fan-out and media across nodes, and sessions. A login on one node kicks the
 * user's older session on the other (announced over Redis, or found by the claim check without it),
 * and a session whose kick never arrived cannot write: its request is refused in the database's
 * transaction and the session is closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, KickReason } from '../../schema';
import type { ServerConfig } from '../../server';
import { sendText, text, uid } from '../support/fixtures';
import { databaseUrl, dropSchema, freshSchema, redisUrl, SKIP_NOTE } from '../support/services';
import { startServer, type TestServer } from '../support/server';
import { frameOf } from '../support/wireClient';

const isKick = frameOf('kick');
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe.skipIf(!databaseUrl || !redisUrl)(`two nodes${databaseUrl ? '' : ` (${SKIP_NOTE})`}`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  /** Two nodes on one fresh schema. */
  async function twoNodes(config: Partial<ServerConfig> = {}): Promise<[TestServer, TestServer]> {
    const schema = freshSchema();
    cleanups.push(() => dropSchema(schema));
    const start = () => startServer({ databaseUrl, databaseSchema: schema, redisUrl, streamCheckMs: 200, ...config });
    const a = await start();
    cleanups.push(() => a.stop());
    const b = await start();
    cleanups.push(() => b.stop());
    return [a, b];
  }

  it('kicks the older device on the other node with LOGGED_IN_ELSEWHERE; the newer one works', async () => {
    const [a, b] = await twoNodes();
    const user = uid('u');
    const older = await a.login(user, { deviceId: 'phone' });
    const newer = await b.login(user, { deviceId: 'laptop' });
    expect(await older.nextFrame(isKick)).toMatchObject({ reason: KickReason.LOGGED_IN_ELSEWHERE });
    expect((await older.closed).code).toBe(CloseCode.KICKED);
    expect(await newer.call('conversations.list', { limit: 10, offset: 0 })).toMatchObject({ total: 0 });
    expect(newer.frames.some(isKick)).toBe(false);
  });

  it('replaces the same device\'s socket on the other node with REPLACED', async () => {
    const [a, b] = await twoNodes();
    const user = uid('u');
    const stale = await a.login(user, { deviceId: 'phone' });
    const fresh = await b.login(user, { deviceId: 'phone' });
    expect(await stale.nextFrame(isKick)).toMatchObject({ reason: KickReason.REPLACED });
    await fresh.ping();
  });

  it('refuses the write of a session whose kick never arrived (no Redis), and closes it', async () => {
    const [a, b] = await twoNodes({ redisUrl: undefined, claimCheckMs: 60_000 });
    const user = uid('u');
    const older = await a.login(user, { deviceId: 'phone' });
    const { conversation } = await older.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    await sendText(older, conversation.id, 'before the other login');
    const newer = await b.login(user, { deviceId: 'laptop' });
    await newer.ping();
    // Node a heard nothing: its session is still open, and tries to write.
    expect(older.frames.some(isKick)).toBe(false);
    const refused = older.call('messages.send', { conversationId: conversation.id, clientId: crypto.randomUUID(), content: text('after it') });
    expect(await older.nextFrame(isKick)).toMatchObject({ reason: KickReason.LOGGED_IN_ELSEWHERE });
    await expect(refused).rejects.toThrow();
    const { messages } = await newer.call('messages.history', { conversationId: conversation.id, limit: 10 });
    expect(messages.map((m) => (m.content as { text: string }).text)).toEqual(['before the other login']);
  });

  it('kicks a session whose kick was lost at the next claim check', async () => {
    const [a, b] = await twoNodes({ redisUrl: undefined, claimCheckMs: 100 });
    const user = uid('u');
    const older = await a.login(user, { deviceId: 'phone' });
    await b.login(user, { deviceId: 'laptop' });
    expect(await older.nextFrame(isKick, 3000)).toMatchObject({ reason: KickReason.LOGGED_IN_ELSEWHERE });
  });

  it('serves an upload made on one node from the other', async () => {
    const [a, b] = await twoNodes();
    const customer = await a.login(uid('cust'));
    const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const token = a.token(customer.userId);
    const uploaded = await fetch(`${a.url}/media?${new URLSearchParams({ conversationId: conversation.id, kind: 'image' })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
      body: new Uint8Array(PNG),
    });
    expect(uploaded.status).toBe(201);
    const { url } = (await uploaded.json()) as { url: string };
    const agentToken = b.token(uid('agent'), { role: 'merchant', shop: 'parley-shop' });
    // The same path, asked of node b.
    const onA = new URL(url, a.url);
    const served = await fetch(`${b.url}${onA.pathname}${onA.search}`, { headers: { authorization: `Bearer ${agentToken}` } });
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('hands a message sent on one node to a member connected to the other', async () => {
    const [a, b] = await twoNodes();
    const customer = await a.login(uid('cust'));
    const agent = await b.login(uid('agent'), { role: 'merchant', shop: 'parley-shop' });
    const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const m = await sendText(customer, conversation.id, 'hello from node a');
    const push = await agent.nextFrame((f) => f.t === 'push' && f.event.kind === 'message' && f.event.message.id === m.id);
    expect(push).toMatchObject({ event: { message: { seq: 1 } } });
  });

  it('carries typing and presence between nodes, and forgets a node that stops', async () => {
    const [a, b] = await twoNodes();
    const customer = await a.login(uid('c'));
    const shop = 'parley-shop';
    const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: shop });
    const watched = await customer.call('presence.watch', { conversationIds: [conversation.id] });
    expect(watched.conversations[0]!.presence).toEqual([{ id: shop, kind: 'shop', state: 'offline' }]);
    const agent = await b.login(uid('agent'), { role: 'merchant', shop });
    expect((await customer.nextFrame(frameOf('presence'))).presence).toEqual([{ id: shop, kind: 'shop', state: 'online' }]);

    customer.send({ t: 'typing', conversationId: conversation.id, active: true });
    expect(await agent.nextFrame(frameOf('typing'))).toMatchObject({ from: customer.userId, fromKind: 'user', active: true });
    agent.send({ t: 'typing', conversationId: conversation.id, active: true });
    expect(await customer.nextFrame(frameOf('typing'))).toMatchObject({ from: shop, fromKind: 'shop', active: true });

    await b.stop();
    expect((await customer.nextFrame(frameOf('presence'))).presence).toEqual([{ id: shop, kind: 'shop', state: 'offline' }]);
  });
});
