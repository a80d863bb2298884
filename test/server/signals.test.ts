/**
 * Typing and presence (protocol 5): relayed to the right sockets only, never stored, a shop's
 * agents anonymous to the customer, presence aggregated per shop and visible by the rules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type PresenceFrame, type ServerFrame, type TypingNoticeFrame } from '../../schema';
import { startServer, type LoggedIn, type TestServer } from '../support/server';
import { text } from '../support/fixtures';
import { frameOf } from '../support/wireClient';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const SHOP = 'parley-shop';
const agent = (id: string) => server!.login(id, { role: 'merchant', shop: SHOP });
const isTyping = frameOf('typing');
const isPresence = frameOf('presence');
const typingIn = (c: LoggedIn) => c.frames.filter((f): f is TypingNoticeFrame => f.t === 'typing');
/** Frames sent to `c` before this resolves have arrived: the server answers in order. */
const settled = (c: LoggedIn) => c.ping();

async function shopChat(customer: LoggedIn): Promise<string> {
  const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: SHOP });
  return conversation.id;
}

describe('typing', () => {
  it("reaches the shop's agents under the customer's id, and the customer as the shop's, never as the agent", async () => {
    server = await startServer();
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    const [a, b] = await Promise.all([agent('agent-a'), agent('agent-b')]);

    alice.send({ t: 'typing', conversationId, active: true });
    for (const c of [a, b]) {
      expect(await c.nextFrame(isTyping)).toEqual({ t: 'typing', conversationId, from: 'alice', fromKind: 'user', active: true });
    }

    a.send({ t: 'typing', conversationId, active: true });
    const seen = await alice.nextFrame(isTyping);
    expect(seen).toEqual({ t: 'typing', conversationId, from: SHOP, fromKind: 'shop', active: true });
    expect(JSON.stringify(seen)).not.toContain('agent-a');
    // The other agent is the shop too: it is not told the shop is typing.
    for (const c of [a, b]) {
      await settled(c);
      expect(typingIn(c).map((f) => f.from)).toEqual(['alice']);
    }
  });

  it('is never stored: nothing in the stream, nothing replayed to a device that connects later', async () => {
    server = await startServer();
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    const a = await agent('agent-a');
    const head = (await a.call('sync', { cursor: 0, limit: 500 })).nextCursor;
    alice.send({ t: 'typing', conversationId, active: true });
    await a.nextFrame(isTyping);
    expect((await a.call('sync', { cursor: head, limit: 500 })).events).toEqual([]);
    const later = await server.login('agent-b', { role: 'merchant', shop: SHOP, cursor: 0 });
    await later.call('conversations.list', { limit: 10, offset: 0 });
    await settled(later);
    expect(typingIn(later)).toEqual([]);
  });

  it('is sent only to clients of protocol 5 or later', async () => {
    server = await startServer();
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    const old = await server.login('agent-a', { role: 'merchant', shop: SHOP, v: PROTOCOL_VERSION - 1 });
    const current = await agent('agent-b');
    alice.send({ t: 'typing', conversationId, active: true });
    await current.nextFrame(isTyping);
    await settled(old);
    expect(old.frames.filter((f) => f.t === 'typing' || f.t === 'presence')).toEqual([]);
    expect(old.violations).toEqual([]);
  });

  it('drops active frames closer than a second apart, and refuses a conversation the sender is not in', async () => {
    server = await startServer();
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    const a = await agent('agent-a');
    for (let i = 0; i < 5; i++) alice.send({ t: 'typing', conversationId, active: true });
    alice.send({ t: 'typing', conversationId, active: false });
    const stop = await a.nextFrame((f: ServerFrame) => f.t === 'typing' && !f.active);
    expect(stop).toMatchObject({ active: false });
    expect(typingIn(a).filter((f) => f.active)).toHaveLength(1);

    const mallory = await server.login('mallory');
    mallory.send({ t: 'typing', conversationId, active: true });
    expect(await mallory.nextFrame(frameOf('error'))).toMatchObject({ code: 'FORBIDDEN' });
    await settled(a);
    expect(typingIn(a).filter((f) => f.from === 'mallory')).toEqual([]);
  });
});

describe('presence', () => {
  it("is the shop's, aggregated over its agents: online, away when all are away, offline when the last leaves", async () => {
    server = await startServer();
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    const { conversations } = await alice.call('presence.watch', { conversationIds: [conversationId] });
    expect(conversations).toEqual([{ conversationId, presence: [{ id: SHOP, kind: 'shop', state: 'offline' }] }]);

    const next = () => alice.nextFrame(isPresence).then((f: PresenceFrame) => f.presence);
    const a = await agent('agent-a');
    expect(await next()).toEqual([{ id: SHOP, kind: 'shop', state: 'online' }]);
    const b = await agent('agent-b');
    await a.call('presence.set', { status: 'away' });
    await b.call('presence.set', { status: 'away' });
    expect(await next()).toEqual([{ id: SHOP, kind: 'shop', state: 'away' }]);
    await b.call('presence.set', { status: 'online' });
    expect(await next()).toEqual([{ id: SHOP, kind: 'shop', state: 'online' }]);
    await b.close();
    expect(await next()).toEqual([{ id: SHOP, kind: 'shop', state: 'away' }]);
    await a.close();
    expect(await next()).toEqual([{ id: SHOP, kind: 'shop', state: 'offline' }]);
    // A status is the connected devices': back after a reconnect, an agent is online again.
    await agent('agent-a');
    expect(await next()).toEqual([{ id: SHOP, kind: 'shop', state: 'online' }]);
  });

  it("shows a customer to the shop's agents only, never the agent behind the shop", async () => {
    server = await startServer();
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    const a = await agent('agent-a');
    const { conversations } = await a.call('presence.watch', { conversationIds: [conversationId] });
    expect(conversations[0]!.presence).toEqual([{ id: 'alice', kind: 'user', state: 'online' }]);
    await alice.call('presence.set', { status: 'away' });
    expect((await a.nextFrame(isPresence)).presence).toEqual([{ id: 'alice', kind: 'user', state: 'away' }]);

    // A group the shop made with two customers: each sees the shop, not the other customer.
    const { conversation: group } = await a.call('conversations.create', { kind: 'group', title: 'order 42', memberIds: ['alice', 'bob'] });
    const bob = await server.login('bob');
    const seenByBob = await bob.call('presence.watch', { conversationIds: [group.id] });
    expect(seenByBob.conversations[0]!.presence).toEqual([{ id: SHOP, kind: 'shop', state: 'online' }]);
    const seenByAgent = await a.call('presence.watch', { conversationIds: [group.id] });
    expect(seenByAgent.conversations[0]!.presence.map((p) => p.id).sort()).toEqual(['alice', 'bob']);
  });

  it('refuses to watch a conversation the caller is not in', async () => {
    server = await startServer();
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    const mallory = await server.login('mallory');
    await expect(mallory.call('presence.watch', { conversationIds: [conversationId] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('stops at the watching socket: another device of the user is not sent changes it did not ask for', async () => {
    server = await startServer({ sessionPolicy: 'multi' });
    const alice = await server.login('alice');
    const conversationId = await shopChat(alice);
    await alice.call('messages.send', { conversationId, clientId: crypto.randomUUID(), content: text('hi') });
    const phone = await server.login('alice', { deviceId: 'phone' });
    await alice.call('presence.watch', { conversationIds: [conversationId] });
    await agent('agent-a');
    await alice.nextFrame(isPresence);
    await settled(phone);
    expect(phone.frames.filter((f) => f.t === 'presence')).toEqual([]);
  });
});
