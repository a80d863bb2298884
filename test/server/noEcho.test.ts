/**
 * Protocol 3: a device is not pushed back what its own sends appended when they asked so
 * (`echo: false`: it settles them from the answers); the user's other devices, the other members and older clients are pushed everything.
 * The `prev` chain skips the passed-over events, live and on a replay, so no hole is seen.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushFrame } from '../../schema';
import { sendText, setupGroup, uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';
import { isPush, messagePush, type WireClient } from '../support/wireClient';

const text = (t: string) => ({ type: 'text', text: t });
const messageIds = (pushes: PushFrame[]) => pushes.flatMap((p) => (p.event.kind === 'message' ? [p.event.message.id] : []));
const pushesAfter = (c: WireClient, from: number): PushFrame[] => c.frames.slice(from).filter(isPush);
/** A send that asks not to be echoed, as the engine's outbox makes it. */
const sendQuiet = async (c: WireClient, conversationId: string, body: string) =>
  (await c.call('messages.send', { conversationId, clientId: randomUUID(), content: text(body), echo: false })).message as { id: string };

describe('no echo of own sends (protocol 3)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ sessionPolicy: 'multi' });
  });
  afterAll(() => srv?.stop());

  it('pushes own sends to the other devices and members, not to the sending device, with an unbroken prev chain', async () => {
    const { owner: laptop, members: [member], conversation } = await setupGroup(srv, [{}], { deviceId: 'laptop' });
    const phone = await srv.login(laptop.userId, { role: 'supplier', deviceId: 'phone' });
    const older = await srv.login(laptop.userId, { role: 'supplier', deviceId: 'old-tab', v: 2 });
    await laptop.nextFrame(isPush); // the group's creation
    const mark = laptop.frames.length;
    const last = laptop.frames.filter(isPush).at(-1)!.cursor;

    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const { results } = await laptop.call('messages.sendBatch', {
      conversationId: conversation.id,
      messages: ids.map((id, i) => ({ clientId: id, content: text(`b${i}`) })),
      echo: false,
    });
    expect(results.every((r: { ok: boolean }) => r.ok)).toBe(true);
    const single = await sendQuiet(laptop, conversation.id, 'single');
    const reply = await sendText(member!, conversation.id, 'reply');

    // Everyone else hears every message (but the member, its own reply).
    for (const other of [phone, older]) {
      for (const id of [...ids, single.id, reply.id]) await other.nextFrame(messagePush(id));
    }
    for (const id of [...ids, single.id]) await member!.nextFrame(messagePush(id));
    // The laptop hears the reply only, and its prev names the last push it was actually sent.
    const replyPush = (await laptop.nextFrame(messagePush(reply.id))) as PushFrame;
    expect(messageIds(pushesAfter(laptop, mark))).toEqual([reply.id]);
    expect(replyPush.prev).toBe(last);
    expect(replyPush.cursor).toBeGreaterThan(last + 4);
  });

  it('skips them the same way on a replay after reconnecting', async () => {
    const deviceId = uid('dev');
    const { owner: laptop, members: [member], conversation } = await setupGroup(srv, [{}], { deviceId });
    const created = (await laptop.nextFrame(isPush)) as PushFrame;
    await laptop.close();
    // Sent from this device on another socket, then replayed to a fresh one from the old cursor.
    const sender = await srv.login(laptop.userId, { role: 'supplier', deviceId });
    const own = await sendQuiet(sender, conversation.id, 'own');
    const reply = await sendText(member!, conversation.id, 'reply');
    await sender.close();
    const again = await srv.login(laptop.userId, { role: 'supplier', deviceId, cursor: created.cursor });
    const replayed = (await again.nextFrame(messagePush(reply.id))) as PushFrame;
    expect(messageIds(again.frames.filter(isPush))).toEqual([reply.id]);
    expect(replayed.prev).toBe(created.cursor);
    // A version 2 socket of the same device is replayed its own send, as before.
    const old = await srv.login(laptop.userId, { role: 'supplier', deviceId, cursor: created.cursor, v: 2 });
    await old.nextFrame(messagePush(own.id));
    await old.nextFrame(messagePush(reply.id));
  });

  it('pushes a send that did not ask for no echo back to its device, so a raw request still reaches its store', async () => {
    const { owner: laptop, conversation } = await setupGroup(srv, [{}], { deviceId: uid('dev') });
    await laptop.nextFrame(isPush);
    const raw = await sendText(laptop, conversation.id, 'raw request');
    await laptop.nextFrame(messagePush(raw.id));
  });
});
