/** Sending and reading messages: idempotency, seq order under concurrency, history, content. */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type Message, type PushFrame } from '../../schema';
import { range, sendText, setupGroup, text, uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';
import { messagePush, WireError, type WireClient } from '../support/wireClient';

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer();
});
afterEach(() => srv.server.hooks!.reset());
afterAll(() => srv?.stop());

/** Every message in a conversation (well under one page in these tests). */
async function allMessages(client: WireClient, conversationId: string): Promise<Message[]> {
  const { messages, hasMore } = await client.call('messages.range', { conversationId, afterSeq: 0, limit: 200 });
  expect(hasMore).toBe(false);
  return messages;
}

describe('messages.send idempotency', () => {
  it('gives every retry of a clientId the first seq and serverTs, and stores one row', async () => {
    const { owner, members: [peer], conversation } = await setupGroup(srv, [{}]);
    const params = { conversationId: conversation.id, clientId: randomUUID(), content: text('hello once') };

    const first = await owner.call('messages.send', params);
    const second = await owner.call('messages.send', params);
    const third = await owner.call('messages.send', params);

    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(third.duplicate).toBe(true);
    for (const r of [second, third]) {
      expect(r.message.seq).toBe(first.message.seq);
      expect(r.message.serverTs).toBe(first.message.serverTs);
      expect(r.message.id).toBe(params.clientId);
    }
    const stored = await allMessages(peer!, conversation.id);
    expect(stored.filter((m) => m.id === params.clientId)).toHaveLength(1);
    expect(stored).toHaveLength(1);
  });

  it('stores once when the same clientId arrives concurrently', async () => {
    const { owner, members: [peer], conversation } = await setupGroup(srv, [{}]);
    const params = { conversationId: conversation.id, clientId: randomUUID(), content: text('racing') };
    const results = await Promise.all([1, 2, 3].map(() => owner.call('messages.send', params)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.message.seq)).size).toBe(1);
    expect(await allMessages(peer!, conversation.id)).toHaveLength(1);
  });

  it('commits a send whose response was lost, and the retry gets it as a duplicate', async () => {
    const { owner, members: [peer], conversation } = await setupGroup(srv, [{}]);
    srv.server.hooks!.dropResponses('messages.send', 1);
    const params = { conversationId: conversation.id, clientId: randomUUID(), content: text('ack lost') };
    const lostId = owner.newRequestId();
    void owner.requestWithId(lostId, 'messages.send', params).catch(() => {});

    // The peer's push proves the first attempt committed although its sender heard nothing.
    const pushed = await peer!.nextFrame(messagePush(params.clientId));
    const retry = await owner.call('messages.send', params);
    expect(retry.duplicate).toBe(true);
    expect(retry.message.seq).toBe((pushed.event as { message: Message }).message.seq);
    // The retry's response came back; the dropped one never did.
    expect(owner.frames.some((f) => f.t === 'res' && f.id === lostId)).toBe(false);
    expect(await allMessages(peer!, conversation.id)).toHaveLength(1);
  });

  it('refuses a clientId reused for another conversation (CONFLICT)', async () => {
    const a = await setupGroup(srv, [{}]);
    const other = await a.owner.call('conversations.create', { kind: 'group', title: 'second', memberIds: [a.members[0]!.userId] });
    const clientId = randomUUID();
    await sendText(a.owner, a.conversation.id, 'first use', clientId);
    const res = await a.owner.request('messages.send', { conversationId: other.conversation.id, clientId, content: text('reuse') });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.CONFLICT } });
    expect(await allMessages(a.owner, other.conversation.id)).toHaveLength(0);
  });
});

describe('seq order', () => {
  it('numbers 100 concurrent sends from 4 senders 1..100 with no holes, pushed in seq order', async () => {
    // Nobody acks here: acks are frames too, and this test is about seqs, not the rate limit.
    const quiet = { autoAck: false };
    const { owner, members, conversation } = await setupGroup(
      srv,
      [{ role: 'distributor', ...quiet }, quiet, quiet, quiet],
      quiet,
    );
    const observer = members[3]!;
    const senders = [owner, ...members.slice(0, 3)];
    const sends = senders.flatMap((s, si) =>
      range(25).map((i) =>
        s.call('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content: text(`${si}/${i}`) }),
      ),
    );
    const results = await Promise.all(sends);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(results.map((r) => r.message.seq).sort((a, b) => a - b)).toEqual(range(100));

    // The observer, who sent nothing, receives all 100 in cursor order, which is seq order.
    const firstSeen = (): PushFrame[] => {
      const seen = new Set<number>();
      return observer.pushes.filter((p) => p.event.kind === 'message' && !seen.has(p.cursor) && seen.add(p.cursor));
    };
    await observer.until(() => firstSeen().length === 100);
    const pushed = firstSeen();
    const cursors = pushed.map((p) => p.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(pushed.map((p) => (p.event as { message: Message }).message.seq)).toEqual(range(100));

    const stored = await allMessages(observer, conversation.id);
    expect(stored.map((m) => m.seq)).toEqual(range(100));
    const bySeq = new Map(results.map((r) => [r.message.seq, r.message.id]));
    expect(stored.every((m) => bySeq.get(m.seq) === m.id)).toBe(true);
  });
});

describe('rate limit and acks', () => {
  it('lets a member that acks every push of a 150-message burst still make requests', async () => {
    // Senders do not ack, so only the receiver's acks add up; each sender stays within its bucket.
    const quiet = { autoAck: false };
    const { owner, members, conversation } = await setupGroup(srv, [quiet, quiet, {}], quiet);
    const receiver = members[2]!;
    await Promise.all(
      [owner, members[0]!, members[1]!].map(async (s) => {
        for (const i of range(50)) await sendText(s, conversation.id, `burst ${i}`);
      }),
    );
    await receiver.until(() => receiver.pushes.filter((p) => p.event.kind === 'message').length >= 150);
    // The server drove this traffic; the receiver only confirmed it. Its own request must still pass.
    expect((await receiver.request('conversations.list', { limit: 1, offset: 0 })).ok).toBe(true);
    expect(receiver.frames.filter((f) => f.t === 'error' && f.code === ErrorCode.RATE_LIMITED)).toEqual([]);
  });
});

describe('history and range', () => {
  it('pages backwards with beforeSeq and forwards with afterSeq', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    for (const i of range(5)) await sendText(owner, conversation.id, `m${i}`);
    const id = conversation.id;

    const latest = await owner.call('messages.history', { conversationId: id, limit: 2 });
    expect(latest.messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(latest.hasMore).toBe(true);
    const older = await owner.call('messages.history', { conversationId: id, beforeSeq: 4, limit: 2 });
    expect(older.messages.map((m) => m.seq)).toEqual([2, 3]);
    const oldest = await owner.call('messages.history', { conversationId: id, beforeSeq: 2, limit: 2 });
    expect(oldest).toMatchObject({ hasMore: false, messages: [{ seq: 1, content: text('m1') }] });

    const after = await owner.call('messages.range', { conversationId: id, afterSeq: 3, limit: 10 });
    expect(after.messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(after.hasMore).toBe(false);
    const list = await owner.call('conversations.list', { limit: 10, offset: 0 });
    expect(list.conversations.find((c) => c.id === id)).toMatchObject({ lastSeq: 5, lastMessage: { seq: 5 } });
  });
});

describe('content', () => {
  it('keeps a content type this server does not know, verbatim', async () => {
    const { owner, members: [peer], conversation } = await setupGroup(srv, [{}]);
    const content = { type: 'poll', question: 'Lunch?', options: ['noodles', 'rice'], nested: { multi: true } };
    const { message } = await owner.call('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content });
    expect(message.content).toEqual(content);
    const pushed = await peer!.nextFrame(messagePush(message.id));
    expect((pushed.event as { message: Message }).message.content).toEqual(content);
    expect((await allMessages(peer!, conversation.id))[0]!.content).toEqual(content);
  });

  it.each([
    ['an empty text', { type: 'text', text: '' }],
    ['a javascript: image url', { type: 'image', url: 'javascript:alert(1)', thumbUrl: '/t.png', width: 10, height: 10 }],
    ['a protocol-relative link', { type: 'product', productId: 'p1', title: 'Mug', price: { amount: '9.90', currency: 'EUR' }, url: '//evil.example/x' }],
    ['a float price', { type: 'product', productId: 'p1', title: 'Mug', price: { amount: 9.9, currency: 'EUR' } }],
    ['a known type with the wrong shape', { type: 'text', body: 'hi' }],
    ['an unknown type with a malformed type name', { type: 'Poll!', question: 'x' }],
  ])('refuses %s with INVALID_PARAMS and stores nothing', async (_label, content) => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    const res = await owner.request('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PARAMS } });
    expect(await allMessages(owner, conversation.id)).toHaveLength(0);
  });

  it('refuses an unknown type carrying a Date (not plain JSON) as a frame the protocol cannot carry, and stores nothing', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    owner.send({ t: 'req', id: 'dated', type: 'messages.send', params: { conversationId: conversation.id, clientId: randomUUID(), content: { type: 'event', when: new Date(0) } } });
    expect(await owner.nextFrame((f) => f.t === 'error' || (f.t === 'res' && f.id === 'dated'))).toMatchObject({ t: 'error', code: ErrorCode.INVALID_FRAME });
    expect(await allMessages(owner, conversation.id)).toHaveLength(0);
  });

  it('refuses a clientId that is not a UUID (INVALID_PARAMS)', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    const res = await owner.request('messages.send', { conversationId: conversation.id, clientId: 'abc', content: text('x') });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PARAMS } });
  });

  it('refuses content over MAX_CONTENT_BYTES with PAYLOAD_TOO_LARGE, keeping the socket', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    const content = { type: 'blob', data: 'x'.repeat(17 * 1024) };
    const err = await owner
      .call('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    await owner.ping();
    expect(await allMessages(owner, conversation.id)).toHaveLength(0);
  });

  it('refuses 8000 three-byte characters (within the char limit, over the byte limit)', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    const res = await owner.request('messages.send', {
      conversationId: conversation.id,
      clientId: randomUUID(),
      content: text('€'.repeat(8000)),
    });
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.PAYLOAD_TOO_LARGE } });
  });
});

describe('messages.sendBatch', () => {
  it('stores a batch in its order, each once, and answers retries as duplicates', async () => {
    const { owner, members: [peer], conversation } = await setupGroup(srv, [{}]);
    const items = range(30).map((i) => ({ clientId: randomUUID(), content: text(`batched ${i}`) }));
    const { results } = await owner.call('messages.sendBatch', { conversationId: conversation.id, messages: items });
    expect(results.map((r) => r.ok && r.message.id)).toEqual(items.map((i) => i.clientId));
    expect(results.every((r) => r.ok && !r.duplicate)).toBe(true);
    // A retry of the whole batch (its response was lost): the same seqs, nothing stored twice.
    const again = await owner.call('messages.sendBatch', { conversationId: conversation.id, messages: items });
    expect(again.results.map((r) => r.ok && r.duplicate)).toEqual(items.map(() => true));
    expect(again.results.map((r) => r.ok && r.message.seq)).toEqual(results.map((r) => r.ok && r.message.seq));
    const stored = await allMessages(peer!, conversation.id);
    expect(stored.map((m) => (m.content as { text: string }).text)).toEqual(items.map((i) => (i.content as { text: string }).text));
    expect(new Set(stored.map((m, i) => m.seq - i))).toEqual(new Set([stored[0]!.seq])); // consecutive: no holes
  });

  it('stops at the first failing item, so nothing stored follows what was not', async () => {
    const { owner, members: [peer], conversation } = await setupGroup(srv, [{}]);
    const reused = randomUUID();
    const other = await owner.call('conversations.create', { kind: 'group', title: 'other', memberIds: [peer!.userId] });
    await owner.call('messages.send', { conversationId: other.conversation.id, clientId: reused, content: text('elsewhere') });
    const items = [
      { clientId: randomUUID(), content: text('one') },
      { clientId: reused, content: text('two') }, // CONFLICT: used for another conversation
      { clientId: randomUUID(), content: text('three') },
    ];
    const { results } = await owner.call('messages.sendBatch', { conversationId: conversation.id, messages: items });
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, error: { code: ErrorCode.CONFLICT } });
    expect((await allMessages(peer!, conversation.id)).map((m) => (m.content as { text: string }).text)).toEqual(['one']);
  });

  it('stores a whole batch in one commit, not one (and one fsync) per message', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    const items = range(40).map((i) => ({ clientId: randomUUID(), content: text(`one commit ${i}`) }));
    const before = srv.server.store.writes.commits;
    const { results } = await owner.call('messages.sendBatch', { conversationId: conversation.id, messages: items });
    expect(results.filter((r) => r.ok && !r.duplicate)).toHaveLength(40);
    // Another write (a cursor save) may share the window, never one per message.
    expect(srv.server.store.writes.commits - before).toBeLessThanOrEqual(2);
  });

  it('cuts a batch at a message too large to store: the ones before are stored, none after', async () => {
    const { owner, members: [peer], conversation } = await setupGroup(srv, [{}]);
    const items = [
      { clientId: randomUUID(), content: text('before') },
      { clientId: randomUUID(), content: { type: 'blob', data: 'x'.repeat(17 * 1024) } },
      { clientId: randomUUID(), content: text('after') },
    ];
    const { results } = await owner.call('messages.sendBatch', { conversationId: conversation.id, messages: items });
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ ok: true, duplicate: false });
    expect(results[1]).toMatchObject({ ok: false, error: { code: ErrorCode.PAYLOAD_TOO_LARGE } });
    expect((await allMessages(peer!, conversation.id)).map((m) => (m.content as { text: string }).text)).toEqual(['before']);
  });

  it('counts every message of a batch against the message rate, not just the frame', async () => {
    const limited = await startServer({ messageRate: { perSecond: 0.001, burst: 10 } });
    try {
      const { owner, conversation } = await setupGroup(limited, [{}]);
      const batch = (n: number) => range(n).map((i) => ({ clientId: randomUUID(), content: text(`m${i}`) }));
      expect((await owner.call('messages.sendBatch', { conversationId: conversation.id, messages: batch(8) })).results).toHaveLength(8);
      const over = await owner.request('messages.sendBatch', { conversationId: conversation.id, messages: batch(5) });
      expect(over).toMatchObject({ ok: false, error: { code: ErrorCode.RATE_LIMITED } });
      // The refused batch stored nothing; what is left of the bucket still serves a single send.
      expect((await owner.request('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content: text('x') })).ok).toBe(true);
      const { messages } = await owner.call('messages.range', { conversationId: conversation.id, afterSeq: 0, limit: 50 });
      expect(messages.filter((m) => m.senderId === owner.userId)).toHaveLength(9);
    } finally {
      await limited.stop();
    }
  });

  it('refuses an empty batch and one over MAX_SEND_BATCH (INVALID_PARAMS)', async () => {
    const { owner, conversation } = await setupGroup(srv, [{}]);
    const many = range(101).map((i) => ({ clientId: randomUUID(), content: text(`m${i}`) }));
    for (const messages of [[], many]) {
      expect(await owner.request('messages.sendBatch', { conversationId: conversation.id, messages })).toMatchObject({
        ok: false,
        error: { code: ErrorCode.INVALID_PARAMS },
      });
    }
  });
});

describe('push order across requests', () => {
  it("delivers an agent send's shop read receipt even when another send is in the same TCP write", async () => {
    // Found by the chaos checker: the receipt committed with the message was queued for the hub
    // only after the message's publish, so the second send's events could overtake it and every
    // socket dropped it as already sent.
    const alice = await srv.login(uid('alice'));
    const bob = await srv.login(uid('bob'));
    const agent = await srv.login(uid('agent'), { role: 'merchant', shop: 'parley-shop' });
    const other = await srv.login(uid('agent2'), { role: 'merchant', shop: 'parley-shop' });
    const a = await alice.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const b = await bob.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    await alice.call('messages.send', { conversationId: a.conversation.id, clientId: randomUUID(), content: text('hi from alice') });
    await bob.call('messages.send', { conversationId: b.conversation.id, clientId: randomUUID(), content: text('hi from bob') });
    const before = other.pushes.length;
    // Two sends in one TCP write: both requests are handled in the same turn.
    const raw = (agent.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
    raw.cork();
    agent.send({ t: 'req', id: 'r1', type: 'messages.send', params: { conversationId: a.conversation.id, clientId: randomUUID(), content: text('reply a') } });
    agent.send({ t: 'req', id: 'r2', type: 'messages.send', params: { conversationId: b.conversation.id, clientId: randomUUID(), content: text('reply b') } });
    raw.uncork();
    await other.until(() => other.pushes.slice(before).filter((p) => p.event.kind === 'receipt' && p.event.userId === 'parley-shop').length >= 2);
    const cursors = other.pushes.slice(before).map((p) => p.cursor);
    expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
  });
});
