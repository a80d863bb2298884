/** The push stream: acks, replay after reconnect, resends, and receipts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, PushFrame, ReceiptKind, ServerFrame } from '../../schema';
import { sendText, setupGroup, uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';
import { isPush, messagePush, type WireClient } from '../support/wireClient';

const messageOf = (p: PushFrame): Message => {
  if (p.event.kind !== 'message') throw new Error(`expected a message push, got ${p.event.kind}`);
  return p.event.message;
};

const receiptPush =
  (conversationId: string, userId: string, receipt: ReceiptKind) =>
  (f: ServerFrame): f is PushFrame =>
    f.t === 'push' &&
    f.event.kind === 'receipt' &&
    f.event.conversationId === conversationId &&
    f.event.userId === userId &&
    f.event.receipt === receipt;

/** Pushes received after `from` (an index into client.frames). */
const pushesAfter = (c: WireClient, from: number): PushFrame[] => c.frames.slice(from + 1).filter(isPush);

describe('push, ack and replay', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv?.stop());

  /**
   * A receiver that saw the group's creation and messages m1..m3, acked up to m1 and went away;
   * m4 and m5 were sent while it was gone.
   */
  async function receiverWentAway() {
    const { owner: sender, members: [receiver], conversation } = await setupGroup(srv, [{ autoAck: false, deviceId: 'phone' }]);
    const r = receiver!;
    expect((await r.nextFrame(isPush)).event.kind).toBe('conversation');
    const online = [];
    for (const i of [1, 2, 3]) online.push(await sendText(sender, conversation.id, `m${i}`));
    const pushed = [];
    for (const m of online) pushed.push(await r.nextFrame(messagePush(m.id)));
    const ackedCursor = pushed[0]!.cursor;
    r.ack(ackedCursor);
    await r.ping(); // the ack was handled before this pong was sent
    await r.close();
    const offline = [await sendText(sender, conversation.id, 'm4'), await sendText(sender, conversation.id, 'm5')];
    return { sender, r, conversation, ackedCursor, expected: [...online.slice(1), ...offline] };
  }

  it('replays exactly the unacked and the missed events, in cursor order, after the cursor the client names', async () => {
    const { r, ackedCursor, expected } = await receiverWentAway();
    const again = await srv.login(r.userId, { deviceId: 'phone', autoAck: false, cursor: ackedCursor, epoch: r.auth.epoch! });
    expect(again.auth.ackedCursor).toBe(ackedCursor);
    expect(again.auth.resync).toBeUndefined();

    await again.until(() => again.pushes.length >= expected.length);
    await again.ping(); // anything queued behind the replay would have arrived by now
    const cursors = again.pushes.map((p) => p.cursor);
    expect(again.pushes.map((p) => messageOf(p).id)).toEqual(expected.map((m) => m.id));
    expect(cursors[0]).toBeGreaterThan(ackedCursor);
    expect(cursors).toEqual([...new Set(cursors)].sort((a, b) => a - b));
    expect(again.auth.headCursor).toBe(cursors.at(-1));
    // Each push names the one before it, the first the cursor the replay started after: a client
    // can tell a lost or swapped push from a stream that merely skips others' cursors.
    expect(again.pushes.map((p) => p.prev)).toEqual([ackedCursor, ...cursors.slice(0, -1)]);
  });

  it("resumes an older client from the server's record of the device's ack when it names no cursor", async () => {
    const { r, ackedCursor, expected } = await receiverWentAway();
    // From protocol 4 a device without a cursor starts at the head instead (headStart.test.ts).
    const again = await srv.login(r.userId, { deviceId: 'phone', autoAck: false, v: 3 });
    expect(again.auth.ackedCursor).toBe(ackedCursor);
    await again.until(() => again.pushes.length >= expected.length);
    await again.ping();
    expect(again.pushes.map((p) => messageOf(p).id)).toEqual(expected.map((m) => m.id));
  });

  it('replays from the start when the client says it has nothing (cursor 0)', async () => {
    const { r, expected } = await receiverWentAway();
    const again = await srv.login(r.userId, { deviceId: 'phone', autoAck: false, cursor: 0 });
    // The conversation event and all five messages.
    await again.until(() => again.pushes.length >= 6);
    expect(again.pushes[0]!.event.kind).toBe('conversation');
    expect(again.pushes.slice(1).map((p) => messageOf(p).seq)).toEqual([1, 2, 3, 4, 5]);
    expect(again.pushes.slice(-2).map((p) => messageOf(p).id)).toEqual(expected.slice(-2).map((m) => m.id));
  });

  it('serves the same stream by pull (sync) with a cursor to continue from', async () => {
    const { r, ackedCursor, expected } = await receiverWentAway();
    const puller = await srv.login(r.userId, { deviceId: 'tablet', autoAck: false, cursor: 0 });
    const page1 = await puller.call('sync', { cursor: ackedCursor, limit: 2 });
    expect(page1.hasMore).toBe(true);
    const page2 = await puller.call('sync', { cursor: page1.nextCursor, limit: 500 });
    expect(page2.hasMore).toBe(false);
    const events = [...page1.events, ...page2.events];
    expect(events.map((e) => (e.event.kind === 'message' ? e.event.message.id : e.event.kind))).toEqual(expected.map((m) => m.id));
    expect(page2.nextCursor).toBe(events.at(-1)!.cursor);
    const nothingNew = await puller.call('sync', { cursor: page2.nextCursor, limit: 500 });
    expect(nothingNew).toEqual({ events: [], nextCursor: page2.nextCursor, hasMore: false });
  });

  it('sends a push twice when the duplicatePushes hook says so (for client dedup tests)', async () => {
    const { owner: sender, members: [receiver], conversation } = await setupGroup(srv, [{ autoAck: false }]);
    // Two: the sender's own push of m (if it gets one) may be the first to go out.
    srv.server.hooks!.duplicatePushes(2);
    const m = await sendText(sender, conversation.id, 'twice');
    const a = await receiver!.nextFrame(messagePush(m.id));
    const b = await receiver!.nextFrame(messagePush(m.id));
    expect(b).toEqual(a);
    srv.server.hooks!.reset();
  });
});

describe('a socket behind reads its backlog from recent events', () => {
  let srv: TestServer;
  beforeAll(async () => {
    // A window of 4 keeps the receiver behind; a ring of 8 lets a replay start below it.
    srv = await startServer({ pushWindow: 4, recentEvents: 8 });
  });
  afterAll(() => srv?.stop());

  /** Counts the store's backlog reads for one user. */
  function countReads(server: TestServer, userId: string) {
    const store = server.server.store;
    const original = store.eventsAfter.bind(store);
    const reads = { count: 0 };
    store.eventsAfter = (user, cursor, limit) => {
      if (user.userId === userId) reads.count++;
      return original(user, cursor, limit);
    };
    return { reads, restore: () => void (store.eventsAfter = original) };
  }

  /** Acks as a slow client would: whatever arrived, until `n` message pushes have. */
  async function drain(r: WireClient, n: number): Promise<Message[]> {
    for (;;) {
      const messages = r.pushes.filter((p) => p.event.kind === 'message').map(messageOf);
      if (messages.length >= n) return messages;
      const before = r.pushes.length;
      // Nothing yet (the backlog is still being read): wait for the first push before acking.
      if (before > 0) r.ack(r.pushes.at(-1)!.cursor);
      await r.until(() => r.pushes.length > before);
    }
  }

  it('live: past its window, a socket is sent the rest from memory, in order, each once', async () => {
    const roomy = await startServer({ pushWindow: 4, recentEvents: 64 });
    try {
      const { owner: sender, members: [receiver], conversation } = await setupGroup(roomy, [{ autoAck: false }]);
      const r = receiver!;
      await r.nextFrame(isPush); // the conversation event
      const { reads, restore } = countReads(roomy, r.userId);
      try {
        const sent: Message[] = [];
        for (let i = 0; i < 20; i++) sent.push(await sendText(sender, conversation.id, `behind ${i}`));
        const got = await drain(r, 20);
        expect(got.map((m) => m.id)).toEqual(sent.map((m) => m.id));
        expect(reads.count).toBe(0);
      } finally {
        restore();
      }
    } finally {
      await roomy.stop();
    }
  });

  it('a replay from below what memory holds reads the database, then memory; nothing missed or repeated', async () => {
    const { owner: sender, members: [receiver], conversation } = await setupGroup(srv, [{ autoAck: false, deviceId: 'tablet' }]);
    const r = receiver!;
    const created = await r.nextFrame(isPush);
    r.ack(created.cursor);
    await r.ping();
    await r.close();
    const sent: Message[] = [];
    for (let i = 0; i < 20; i++) sent.push(await sendText(sender, conversation.id, `while away ${i}`));
    const { reads, restore } = countReads(srv, r.userId);
    try {
      const again = await srv.login(r.userId, { deviceId: 'tablet', autoAck: false, cursor: created.cursor, epoch: r.auth.epoch! });
      const got = await drain(again, 20);
      expect(got.map((m) => m.id)).toEqual(sent.map((m) => m.id));
      const cursors = again.pushes.map((p) => p.cursor);
      expect(cursors).toEqual([...new Set(cursors)].sort((a, b) => a - b));
      // 20 messages behind a ring of 8: the first pages come from the database, the rest do not.
      expect(reads.count).toBeGreaterThan(0);
      expect(reads.count).toBeLessThan(20 / 4);
    } finally {
      restore();
    }
  });
});

describe('unacked pushes are re-sent', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ pushResendMs: 200 });
  });
  afterAll(() => srv?.stop());

  it('sends an unacked push again, and stops once it is acked', async () => {
    const { owner: sender, members: [receiver], conversation } = await setupGroup(srv, [{ autoAck: false }]);
    const r = receiver!;
    r.ack((await r.nextFrame(isPush)).cursor); // the conversation event

    const m1 = await sendText(sender, conversation.id, 'please ack');
    const first = await r.nextFrame(messagePush(m1.id));
    const resent = await r.nextFrame(messagePush(m1.id), 3000);
    expect(resent.cursor).toBe(first.cursor);
    expect(resent.event).toEqual(first.event);

    r.ack(first.cursor);
    // Frames after this pong were sent after the server handled the ack.
    const pong = await r.ping();
    const afterAck = r.frames.indexOf(pong);

    // m2 is left unacked: its resend marks a resend round that happened after the ack.
    const m2 = await sendText(sender, conversation.id, 'not acked');
    await r.nextFrame(messagePush(m2.id));
    await r.nextFrame(messagePush(m2.id), 3000);
    const cursors = pushesAfter(r, afterAck).map((p) => p.cursor);
    expect(cursors).not.toContain(first.cursor);
    expect(cursors.every((c) => c > first.cursor)).toBe(true);
  });

  it('does not re-send to a client that acks every push', async () => {
    const { owner: sender, members: [acking, silent], conversation } = await setupGroup(srv, [{ autoAck: true }, { autoAck: false }]);
    const m1 = await sendText(sender, conversation.id, 'acked at once');
    await acking!.nextFrame(messagePush(m1.id));
    // The silent member gets m1 and then two resends: resend rounds ran well after m1 was pushed.
    for (let i = 0; i < 3; i++) await silent!.nextFrame(messagePush(m1.id), 3000);
    await acking!.ping();
    expect(acking!.pushes.filter(messagePush(m1.id))).toHaveLength(1);
  });
});

describe('resend timing (injected clock)', () => {
  let now = Date.now();
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ pushResendMs: 200, now: () => now });
  });
  afterAll(() => srv?.stop());

  it('waits pushResendMs after sending a push before re-sending it, however long the socket was quiet', async () => {
    const { owner: sender, members: [receiver], conversation } = await setupGroup(srv, [{ autoAck: false }]);
    const r = receiver!;
    r.ack((await r.nextFrame(isPush)).cursor);
    await r.ping();
    now += 10_000; // ten quiet seconds (well within the idle timeout)

    const m1 = await sendText(sender, conversation.id, 'after a quiet spell');
    const first = await r.nextFrame(messagePush(m1.id));
    // The clock stands still, so this push is 0 ms old: the sweeps that run meanwhile must not resend it.
    await expect(r.nextFrame(messagePush(m1.id), 300)).rejects.toThrow(/timed out/);
    now += 250;
    expect((await r.nextFrame(messagePush(m1.id), 3000)).cursor).toBe(first.cursor);
  });
});

describe('receipts', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ sessionPolicy: 'multi' });
  });
  afterAll(() => srv?.stop());

  it("forwards delivered and read receipts to the sender and to the reader's other device", async () => {
    const sender = await srv.login(uid('sup'), { role: 'supplier' });
    const readerId = uid('reader');
    const phone = await srv.login(readerId, { deviceId: 'phone', role: 'distributor' });
    const laptop = await srv.login(readerId, { deviceId: 'laptop', role: 'distributor' });
    const { conversation } = await sender.call('conversations.create', { kind: 'group', title: 'receipts', memberIds: [readerId] });
    const id = conversation.id;
    await sendText(sender, id, 'one');
    const m2 = await sendText(sender, id, 'two');
    await phone.nextFrame(messagePush(m2.id));

    expect(await phone.call('receipts.delivered', { conversationId: id, upToSeq: m2.seq })).toEqual({ deliveredSeq: 2 });
    for (const c of [sender, laptop]) {
      expect((await c.nextFrame(receiptPush(id, readerId, 'delivered'))).event).toMatchObject({ upToSeq: 2 });
    }

    expect(await phone.call('conversations.markRead', { conversationId: id, upToSeq: m2.seq })).toEqual({ readSeq: 2 });
    for (const c of [sender, laptop]) {
      expect((await c.nextFrame(receiptPush(id, readerId, 'read'))).event).toMatchObject({ upToSeq: 2 });
    }

    const { members } = await sender.call('conversations.members', { conversationId: id });
    expect(members.find((m) => m.id === readerId)).toMatchObject({ deliveredSeq: 2, readSeq: 2 });
    const view = (await laptop.call('conversations.list', { limit: 10, offset: 0 })).conversations.find((c) => c.id === id);
    expect(view).toMatchObject({ readSeq: 2, unread: 0 });
  });

  it('never moves a read position backwards', async () => {
    const sender = await srv.login(uid('sup'), { role: 'supplier' });
    const reader = await srv.login(uid('reader'), { role: 'distributor' });
    const { conversation } = await sender.call('conversations.create', { kind: 'group', title: 'r', memberIds: [reader.userId] });
    for (const t of ['a', 'b', 'c']) await sendText(sender, conversation.id, t);
    expect(await reader.call('conversations.markRead', { conversationId: conversation.id, upToSeq: 3 })).toEqual({ readSeq: 3 });
    expect(await reader.call('conversations.markRead', { conversationId: conversation.id, upToSeq: 1 })).toEqual({ readSeq: 3 });
    const { members } = await sender.call('conversations.members', { conversationId: conversation.id });
    expect(members.find((m) => m.id === reader.userId)).toMatchObject({ readSeq: 3 });
  });

  it('counts unread messages from others until they are read', async () => {
    const sender = await srv.login(uid('sup'), { role: 'supplier' });
    const reader = await srv.login(uid('reader'), { role: 'distributor' });
    const { conversation } = await sender.call('conversations.create', { kind: 'group', title: 'u', memberIds: [reader.userId] });
    for (const t of ['a', 'b', 'c']) await sendText(sender, conversation.id, t);
    await sendText(reader, conversation.id, 'mine');
    const view = async () =>
      (await reader.call('conversations.list', { limit: 10, offset: 0 })).conversations.find((c) => c.id === conversation.id);
    // Sending 'mine' (seq 4) counts as having read everything before it.
    expect(await view()).toMatchObject({ unread: 0, lastSeq: 4 });
    const more = await sendText(sender, conversation.id, 'd');
    expect(await view()).toMatchObject({ unread: 1, lastMessage: { id: more.id } });
    await reader.call('conversations.markRead', { conversationId: conversation.id, upToSeq: more.seq });
    expect(await view()).toMatchObject({ unread: 0, readSeq: 5 });
  });
});
