/** The multi-device policy: who gets kicked when the same user connects again. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, KickReason } from '../../schema';
import { sendText, uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';
import { frameOf, isPush, messagePush } from '../support/wireClient';

const isKick = frameOf('kick');

describe("sessionPolicy 'single' (default)", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv?.stop());

  it('kicks the older device with LOGGED_IN_ELSEWHERE, then closes it with 4001; the newer one works', async () => {
    const user = uid('u');
    const older = await srv.login(user, { deviceId: 'phone' });
    const newer = await srv.login(user, { deviceId: 'laptop' });

    expect(await older.nextFrame(isKick)).toMatchObject({ t: 'kick', reason: KickReason.LOGGED_IN_ELSEWHERE });
    expect((await older.closed).code).toBe(CloseCode.KICKED);
    expect(older.frames.at(-1)?.t).toBe('kick');

    await newer.ping();
    expect(await newer.call('conversations.list', { limit: 10, offset: 0 })).toMatchObject({ total: 0 });
    expect(newer.frames.some(isKick)).toBe(false);
  });

  it('replaces an older socket of the same device with REPLACED', async () => {
    const user = uid('u');
    const stale = await srv.login(user, { deviceId: 'phone' });
    const fresh = await srv.login(user, { deviceId: 'phone' });
    expect(await stale.nextFrame(isKick)).toMatchObject({ reason: KickReason.REPLACED });
    expect((await stale.closed).code).toBe(CloseCode.KICKED);
    await fresh.ping();
  });

  it('forgets a session once it closes, kicked or gone (none stays in the registry)', async () => {
    // A server of its own: every session it holds is this test's. A closed session reads its user as ''.
    const own = await startServer();
    try {
      const held = async () => (await (await fetch(`${own.url}/__test/sessions`)).json()) as { userId: string; deviceId: string }[];
      const user = uid('u');
      const first = await own.login(user, { deviceId: 'phone' });
      expect(await held()).toEqual([expect.objectContaining({ userId: user, deviceId: 'phone' })]);
      const second = await own.login(user, { deviceId: 'laptop' }); // kicks the phone
      await first.closed;
      await second.close();
      // The server handles the close in its own time: ask until it did (bounded), then nothing is held.
      const deadline = Date.now() + 3000;
      while ((await held()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await held()).toEqual([]);
    } finally {
      await own.stop();
    }
  });

  it('does not kick other users', async () => {
    const a = await srv.login(uid('a'), { deviceId: 'same-device-name' });
    const b = await srv.login(uid('b'), { deviceId: 'same-device-name' });
    await Promise.all([a.ping(), b.ping()]);
    expect(a.frames.some(isKick)).toBe(false);
  });
});

describe("sessionPolicy 'multi'", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ sessionPolicy: 'multi' });
  });
  afterAll(() => srv?.stop());

  it('keeps both devices connected and pushes to both', async () => {
    const user = uid('u');
    const phone = await srv.login(user, { deviceId: 'phone' });
    const laptop = await srv.login(user, { deviceId: 'laptop' });

    // The phone is still served after the laptop logged in, and was never told to go.
    await phone.ping();
    expect(phone.frames.some(isKick)).toBe(false);

    const { conversation } = await laptop.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const created = await phone.nextFrame(isPush);
    expect(created.event).toMatchObject({ kind: 'conversation', conversation: { id: conversation.id } });

    const m = await sendText(laptop, conversation.id, 'from the laptop');
    expect((await phone.nextFrame(messagePush(m.id))).event).toMatchObject({ kind: 'message', message: { seq: 1 } });
    expect(phone.closeInfo).toBeNull();
    expect(laptop.closeInfo).toBeNull();
  });

  it('still replaces an older socket of the same device', async () => {
    const user = uid('u');
    const stale = await srv.login(user, { deviceId: 'phone' });
    await srv.login(user, { deviceId: 'phone' });
    expect(await stale.nextFrame(isKick)).toMatchObject({ reason: KickReason.REPLACED });
  });
});

describe('idle timeout (injected clock)', () => {
  let now = Date.now();
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ now: () => now, idleTimeoutMs: 1000 });
  });
  afterAll(() => srv?.stop());

  it('closes a socket silent for longer than idleTimeoutMs with 4002, and keeps one that pings', async () => {
    const silent = await srv.login(uid('s'));
    const chatty = await srv.login(uid('c'));
    expect(silent.auth.idleTimeoutMs).toBe(1000);
    now += 600;
    await chatty.ping();
    now += 600; // silent: 1200 ms without a frame; chatty: 600 ms
    expect((await silent.closed).code).toBe(CloseCode.IDLE_TIMEOUT);
    await chatty.ping();
    expect(chatty.closeInfo).toBeNull();
  });
});
