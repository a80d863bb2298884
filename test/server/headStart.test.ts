/**
 * Protocol 4 on the wire: a device without a cursor starts at the head (`auth_ok.rebuild`) and
 * loads it with `sync.head`; retention prunes the stream, and a device whose replay would cross
 * pruned events is told to rebuild (or, an older client, refused), never replayed with a hole.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, HEAD_ANSWER_BYTES, type Content } from '../../schema';
import { startServer, type TestServer } from '../support/server';

const SHOP = 'parley-shop';
const text = (t: string): Content => ({ type: 'text', text: t });
const DAY = 24 * 60 * 60 * 1000;

let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.stop();
  srv = undefined;
});

/** A server whose clock the test moves; retention keeps a day of the stream. */
async function server(): Promise<{ srv: TestServer; clock: { now: number } }> {
  const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
  srv = await startServer({ sessionPolicy: 'multi', now: () => clock.now, pushRetention: { maxAgeMs: DAY, intervalMs: 60 * 60 * 1000, batch: 3 } });
  return { srv, clock };
}

async function conversationWithMessages(s: TestServer, customerId: string, n: number, body = (i: number) => `m${i}`) {
  const customer = await s.login(customerId, { deviceId: `${customerId}-phone` });
  const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: SHOP });
  for (let i = 1; i <= n; i++) await customer.call('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content: text(body(i)), echo: false });
  return { customer, conversationId: conversation.id };
}

describe('a device without a cursor (protocol 4)', () => {
  it('is told to rebuild at the head and is pushed only what comes after it', async () => {
    const { srv } = await server();
    const { customer, conversationId } = await conversationWithMessages(srv, 'cust-a', 5);
    const head = await srv.server.store.streamHead();
    const laptop = await srv.login('cust-a', { deviceId: 'cust-a-laptop' });
    expect(laptop.auth.rebuild).toEqual({ cursor: head, reason: 'new_device' });
    await customer.call('messages.send', { conversationId, clientId: randomUUID(), content: text('after'), echo: false });
    await laptop.until(() => laptop.pushes.length > 0);
    // The first push is the new message, chained to the head: nothing before it was replayed.
    expect(laptop.pushes[0]).toMatchObject({ cursor: head + 1, prev: head, event: { kind: 'message', message: { seq: 6 } } });
  });

  it('an older client without a cursor is replayed the stream as before; cursor 0 asks for the replay explicitly', async () => {
    const { srv } = await server();
    await conversationWithMessages(srv, 'cust-b', 3);
    const old = await srv.login('cust-b', { deviceId: 'old', v: 3 });
    expect(old.auth.rebuild).toBeUndefined();
    await old.until(() => old.pushes.length === 4);
    const explicit = await srv.login('cust-b', { deviceId: 'explicit', cursor: 0 });
    expect(explicit.auth.rebuild).toBeUndefined();
    await explicit.until(() => explicit.pushes.length === 4);
    expect(explicit.pushes.map((p) => p.event.kind)).toEqual(['conversation', 'message', 'message', 'message']);
  });

  it('sync.head pages the conversations by id with views, latest messages and members, within its size budget', async () => {
    const { srv } = await server();
    const { conversationId: small } = await conversationWithMessages(srv, 'cust-c', 4);
    const agent = await srv.login('shop-agent', { role: 'merchant', shop: SHOP });
    const big = 'x'.repeat(7_000);
    const { conversationId: large } = await conversationWithMessages(srv, 'cust-d', 80, () => big);
    await agent.call('conversations.markRead', { conversationId: small, upToSeq: 1 });

    const one = await agent.call('sync.head', { limit: 50, messages: 3 });
    expect(one.hasMore).toBe(false);
    const byId = new Map(one.conversations.map((e) => [e.conversation.id, e]));
    expect([...byId.keys()]).toEqual([small, large].sort());
    expect(byId.get(small)!.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(byId.get(small)!.conversation).toMatchObject({ lastSeq: 4, readSeq: 1, unread: 3 });
    expect(byId.get(small)!.members).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: SHOP, kind: 'shop', readSeq: 1 }), expect.objectContaining({ id: 'cust-c', readSeq: 4 })]),
    );

    // 80 messages of 7 KB are past the budget: the answer stops after the first conversation that crosses it.
    const paged = await agent.call('sync.head', { limit: 50, messages: 100 });
    const first = paged.conversations[0]!;
    if (first.conversation.id === large) {
      expect(paged.hasMore).toBe(true);
      expect(paged.conversations).toHaveLength(1);
      expect(80 * big.length).toBeGreaterThan(HEAD_ANSWER_BYTES);
      const rest = await agent.call('sync.head', { afterId: large, limit: 50, messages: 100 });
      expect(rest.conversations.map((e) => e.conversation.id)).toEqual([small]);
    } else {
      expect(paged.conversations.map((e) => e.conversation.id)).toEqual([small, large]);
      expect(paged.hasMore).toBe(false);
    }
    // Someone else's conversations are not in theirs.
    const stranger = await srv.login('cust-z');
    expect((await stranger.call('sync.head', { limit: 50, messages: 3 })).conversations).toEqual([]);
  });
});

describe('retention', () => {
  it('prunes events past the horizon; a device behind them rebuilds (protocol 4) or is refused (older); a quiet one replays', async () => {
    const { srv, clock } = await server();
    const { customer, conversationId } = await conversationWithMessages(srv, 'cust-e', 4);
    await conversationWithMessages(srv, 'cust-f', 1);
    const behind = customer.auth.headCursor; // the customer's phone stored nothing past its login
    const quietCursor = await srv.server.store.headCursor({ userId: 'cust-f', role: 'customer', shopId: null, displayName: 'f' });
    clock.now += 2 * DAY;
    await customer.call('messages.send', { conversationId, clientId: randomUUID(), content: text('two days later'), echo: false });
    const pruned = await srv.server.retention.run();
    expect(pruned).toBeGreaterThan(0);
    // History is kept: every message is still served.
    expect((await customer.call('messages.history', { conversationId, limit: 50 })).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);

    const back = await srv.login('cust-e', { deviceId: 'cust-e-phone', cursor: behind, epoch: customer.auth.epoch! });
    expect(back.auth.rebuild).toEqual({ cursor: await srv.server.store.streamHead(), reason: 'pruned' });
    const older = srv.connect({ token: srv.token('cust-e'), deviceId: 'cust-e-old', cursor: behind, epoch: customer.auth.epoch!, v: 3 });
    const refused = await older.authResult;
    expect(refused).toMatchObject({ t: 'auth_failed', code: 'UNSUPPORTED_VERSION' });
    // Nothing of cust-f's conversation was pruned past its cursor: a plain replay, however old.
    const quiet = await srv.login('cust-f', { deviceId: 'cust-f-phone', cursor: quietCursor, epoch: customer.auth.epoch! });
    expect(quiet.auth.rebuild).toBeUndefined();
    expect(srv.server.metrics.registry.render()).toMatch(/parley_rebuilds_total\{reason="pruned"\} 1/);
  });

  it('closes a socket still behind the pruned events (4004), and its reconnect is told to rebuild', async () => {
    const { srv, clock } = await server();
    const { conversationId } = await conversationWithMessages(srv, 'cust-g', 0);
    const lagging = await srv.login('cust-g', { deviceId: 'cust-g-laptop', autoAck: false, cursor: 0 });
    const sender = await srv.login('cust-g', { deviceId: 'cust-g-phone' });
    for (let i = 0; i < 3; i++) await sender.call('messages.send', { conversationId, clientId: randomUUID(), content: text(`m${i}`), echo: false });
    await lagging.until(() => lagging.pushes.length === 4);
    clock.now += 2 * DAY;
    await srv.server.retention.run();
    const closed = await lagging.closed;
    expect(closed.code).toBe(CloseCode.STREAM_PRUNED);
    // The sender had acked everything: it stays.
    expect(sender.closeInfo).toBeNull();
    const again = await srv.login('cust-g', { deviceId: 'cust-g-laptop', cursor: 0 });
    expect(again.auth.rebuild?.reason).toBe('pruned');
  });
});
