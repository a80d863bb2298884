/** The Engine with a fake socket and clock: pushes become events once, acks are coalesced, requests follow the state. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError, type PushEvent } from '../../schema';
import { Engine, type EngineDeps, type Inbox } from '../../worker/engine/Engine';
import type { EngineEvent } from '../../worker/protocol';
import { DEFAULT_ENGINE_OPTIONS } from '../../worker/options';
import { authOk, flush, frame, sentFrames } from './connection/harness';
import { fakePlatform } from '../support/fakePlatform';

/** `inbox` is the inbox itself here (the engine builds it on its port; these tests need no port). */
function setup({ inbox, ...deps }: Omit<Partial<EngineDeps<Inbox>>, 'inbox'> & { inbox?: Inbox } = {}) {
  const fake = fakePlatform();
  const engine = new Engine({
    platform: fake.platform,
    options: { ...DEFAULT_ENGINE_OPTIONS, url: 'ws://parley.test/ws', deviceId: 'web-dev1' },
    tokens: { getToken: async () => 'token' },
    ...(inbox ? { inbox: () => inbox } : {}),
    ...deps,
  });
  const events: EngineEvent[] = [];
  engine.events.on((e) => events.push(e));
  return { fake, engine, events };
}

async function online(h: ReturnType<typeof setup>) {
  h.engine.start();
  h.fake.socket.serverOpen();
  await flush();
  h.fake.socket.serverSend(authOk());
  expect(h.engine.getState().status).toBe('online');
  return h.fake.socket;
}

const receipt = (upToSeq: number): PushEvent => ({ kind: 'receipt', conversationId: 'c1', userId: 'bob', receipt: 'read', upToSeq });

/** For inboxes of tests where the server never asks for a rollback. */
const noRollback = (): Promise<never> => Promise.reject(new Error('no rollback expected'));
const noRebuild = (): Promise<never> => Promise.reject(new Error('no rebuild expected'));

describe('Engine', () => {
  it('emits connect_success with the identity once online', async () => {
    const h = setup();
    await online(h);
    expect(h.events.filter((e) => e.type === 'connect_success')).toEqual([{ type: 'connect_success', userId: 'alice', deviceId: 'web-dev1' }]);
  });

  it('emits each push once, drops replays of a cursor already seen, and acks them all', async () => {
    const h = setup();
    const socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 5, event: receipt(1) }));
    socket.serverSend(frame({ t: 'push', cursor: 7, event: receipt(2) }));
    socket.serverSend(frame({ t: 'push', cursor: 5, event: receipt(1) })); // a resend after a lost ack
    await flush();
    const received = h.events.filter((e) => e.type === 'receive');
    expect(received.map((e) => (e.type === 'receive' ? e.cursor : 0))).toEqual([5, 7]);
    // One cumulative ack for the burst, after the short coalescing delay.
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([]);
    h.fake.clock.advance(50);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', cursor: 7 }]);
  });

  it('acks a long burst without waiting for the timer', async () => {
    const h = setup();
    const socket = await online(h);
    for (let c = 1; c <= 64; c++) socket.serverSend(frame({ t: 'push', cursor: c, event: receipt(c) }));
    await flush();
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', cursor: 64 }]);
  });

  it('resumes from the last cursor it saw when it reconnects', async () => {
    const h = setup();
    const first = await online(h);
    first.serverSend(frame({ t: 'push', cursor: 12, event: receipt(1) }));
    first.serverClose(1006);
    h.fake.clock.advance(60_000);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 12 });
  });

  it('reports a push on arrival, while its commit runs, and acks it only after the inbox committed it', async () => {
    let commit: () => void = () => {};
    const stored: number[] = [];
    const arrived: number[] = [];
    const h = setup({
      inbox: {
        rollback: noRollback,
        rebuild: noRebuild,
        arrived: (records) => void arrived.push(...records.map((r) => r.cursor)),
        store: (records) =>
          new Promise<void>((resolve) => {
            commit = () => {
              stored.push(...records.map((r) => r.cursor));
              resolve();
            };
          }),
      },
    });
    const socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 3, event: receipt(1) }));
    await flush();
    h.fake.clock.advance(1000);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([]);
    // Shown before the commit: the inbox heard of it, and tabs got 'receive' marked not stored.
    expect(arrived).toEqual([3]);
    expect(stored).toEqual([]);
    expect(h.events.filter((e) => e.type === 'receive' || e.type === 'stored')).toEqual([
      { type: 'receive', cursor: 3, event: receipt(1), stored: false },
    ]);
    commit();
    await flush();
    h.fake.clock.advance(50);
    expect(stored).toEqual([3]);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', cursor: 3 }]);
    // Reported once; the commit is announced.
    expect(h.events.filter((e) => e.type === 'receive' || e.type === 'stored').map((e) => e.type)).toEqual(['receive', 'stored']);
    expect(h.events.at(-1)).toEqual({ type: 'stored', cursor: 3 });
  });

  it('reports a push whose store failed once, and announces it stored when the replay stores it', async () => {
    let fail = true;
    const h = setup({
      initialCursor: 2,
      inbox: {
        rollback: noRollback,
        rebuild: noRebuild,
        store: () => (fail ? Promise.reject(new ParleyError(ErrorCode.STORAGE_FULL, 'quota')) : Promise.resolve()),
      },
    });
    let socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 3, event: receipt(1) }));
    await flush();
    expect(h.events.filter((e) => e.type === 'receive').map((e) => (e.type === 'receive' ? e.stored : null))).toEqual([false]);
    fail = false;
    // The engine reconnected to replay from cursor 2: the server sends 3 again.
    socket = h.fake.socket;
    socket.serverOpen();
    await flush();
    socket.serverSend(authOk());
    socket.serverSend(frame({ t: 'push', cursor: 3, event: receipt(1) }));
    await flush();
    expect(h.events.filter((e) => e.type === 'receive')).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'stored')).toEqual([{ type: 'stored', cursor: 3 }]);
  });

  it('when storing fails, acks nothing and reconnects to replay from the stored cursor', async () => {
    const h = setup({ initialCursor: 2, inbox: { rollback: noRollback, rebuild: noRebuild, store: () => Promise.reject(new ParleyError(ErrorCode.STORAGE_FULL, 'quota')) } });
    const socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 3, event: receipt(1) }));
    await flush();
    h.fake.clock.advance(100);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([]);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'receive_error', code: 'STORAGE_FULL' }));
    // A new socket, whose auth asks for the replay after what is stored.
    expect(h.fake.sockets).toHaveLength(2);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 2 });
  });

  it('while storing keeps failing (a full disk), replays back off instead of looping', async () => {
    let full = true;
    const stored: number[] = [];
    const h = setup({
      initialCursor: 2,
      inbox: {
        rollback: noRollback,
        rebuild: noRebuild,
        store: async (records) => {
          if (full) throw new ParleyError(ErrorCode.STORAGE_FULL, 'quota');
          stored.push(...records.map((r) => r.cursor));
        },
      },
    });
    /** The server's replay on the newest socket: push 3 again. */
    const replay = async () => {
      h.fake.socket.serverOpen();
      await flush();
      h.fake.socket.serverSend(authOk());
      h.fake.socket.serverSend(frame({ t: 'push', cursor: 3, prev: 2, event: receipt(1) }));
      await flush();
    };
    const socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 3, prev: 2, event: receipt(1) }));
    await flush();
    expect(h.fake.sockets).toHaveLength(2); // the first replay is at once
    await replay();
    // The second waits 250 ms, the third 500 ms.
    h.fake.clock.advance(249);
    expect(h.fake.sockets).toHaveLength(2);
    h.fake.clock.advance(1);
    expect(h.fake.sockets).toHaveLength(3);
    await replay();
    h.fake.clock.advance(499);
    expect(h.fake.sockets).toHaveLength(3);
    h.fake.clock.advance(1);
    expect(h.fake.sockets).toHaveLength(4);
    // Space is back: the replay is stored and acked, and the next failure starts from scratch.
    full = false;
    await replay();
    h.fake.clock.advance(100);
    expect(stored).toEqual([3]);
    expect(sentFrames(h.fake.socket).filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', cursor: 3 }]);
    full = true;
    h.fake.socket.serverSend(frame({ t: 'push', cursor: 5, prev: 3, event: receipt(2) }));
    await flush();
    expect(h.fake.sockets).toHaveLength(5);
  });

  it('a push whose predecessor it never saw is not acked: it replays from the stored cursor', async () => {
    const h = setup({ initialCursor: 2 });
    const socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 4, prev: 2, event: receipt(1) }));
    // Push 6 is lost on the way; 9 names it as its predecessor.
    socket.serverSend(frame({ t: 'push', cursor: 9, prev: 6, event: receipt(3) }));
    await flush();
    h.fake.clock.advance(100);
    expect(h.events.filter((e) => e.type === 'receive').map((e) => (e.type === 'receive' ? e.cursor : 0))).toEqual([4]);
    expect(sentFrames(socket).filter((f) => f.t === 'ack' && f.cursor > 4)).toEqual([]);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'receive_error', code: 'INVALID_FRAME' }));
    expect(h.fake.sockets).toHaveLength(2);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 4 });
  });

  it('two pushes swapped on the way: neither is acked past, and the replay brings both in order', async () => {
    const h = setup({ initialCursor: 10 });
    const socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 13, prev: 11, event: receipt(2) }));
    socket.serverSend(frame({ t: 'push', cursor: 11, prev: 10, event: receipt(1) })); // on a socket already given up
    await flush();
    h.fake.clock.advance(100);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([]);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 10 });
    h.fake.socket.serverSend(authOk());
    h.fake.socket.serverSend(frame({ t: 'push', cursor: 11, prev: 10, event: receipt(1) }));
    h.fake.socket.serverSend(frame({ t: 'push', cursor: 13, prev: 11, event: receipt(2) }));
    await flush();
    h.fake.clock.advance(100);
    expect(h.events.filter((e) => e.type === 'receive').map((e) => (e.type === 'receive' ? e.cursor : 0))).toEqual([11, 13]);
    expect(sentFrames(h.fake.socket).filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', cursor: 13 }]);
  });

  it('a device with nothing stored takes the stream from wherever the server starts it', async () => {
    const h = setup();
    const socket = await online(h);
    socket.serverSend(frame({ t: 'push', cursor: 40, prev: 37, event: receipt(1) }));
    await flush();
    expect(h.events.filter((e) => e.type === 'receive')).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'receive_error')).toEqual([]);
  });

  it('stores the server epoch with the cursor it took pushes under, and names it at the next auth', async () => {
    const epochs: (string | undefined)[] = [];
    const h = setup({ initialCursor: 4, initialEpoch: 'aaaaaaaaaaaaaaaa', inbox: { rollback: noRollback, rebuild: noRebuild, store: async (_r, epoch) => void epochs.push(epoch) } });
    h.engine.start();
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 4, epoch: 'aaaaaaaaaaaaaaaa' });
    h.fake.socket.serverSend(authOk({ epoch: 'bbbbbbbbbbbbbbbb' }));
    h.fake.socket.serverSend(frame({ t: 'push', cursor: 5, prev: 4, event: receipt(1) }));
    await flush();
    h.fake.socket.serverSend(frame({ t: 'push', cursor: 6, prev: 5, event: receipt(2) }));
    await flush();
    // Stored with the first batch only: after that the stored epoch is the server's.
    expect(epochs).toEqual(['bbbbbbbbbbbbbbbb', undefined]);
    h.fake.socket.serverClose(1006);
    h.fake.clock.advance(60_000);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 6, epoch: 'bbbbbbbbbbbbbbbb' });
  });

  it('told to resync, rolls back before storing any push, acks nothing meanwhile, then takes the stream from there', async () => {
    let finish: () => void = () => {};
    const rollbacks: { cursor: number; epoch: string }[] = [];
    const stored: { cursors: number[]; epoch: string | undefined }[] = [];
    const h = setup({
      initialCursor: 10,
      initialEpoch: 'aaaaaaaaaaaaaaaa',
      inbox: {
        rollback: (to) => {
          rollbacks.push(to);
          return new Promise((resolve) => (finish = () => resolve({ requeued: 2, dropped: 1 })));
        },
        rebuild: noRebuild,
        store: async (records, epoch) => void stored.push({ cursors: records.map((r) => r.cursor), epoch }),
      },
    });
    h.engine.start();
    h.fake.socket.serverOpen();
    await flush();
    const socket = h.fake.socket;
    socket.serverSend(authOk({ epoch: 'bbbbbbbbbbbbbbbb', resync: { cursor: 7 } }));
    // New events of the server's history reuse cursors this device stored before (8..10).
    socket.serverSend(frame({ t: 'push', cursor: 8, prev: 7, event: receipt(1) }));
    socket.serverSend(frame({ t: 'push', cursor: 9, prev: 8, event: receipt(2) }));
    await flush();
    h.fake.clock.advance(1000);
    expect(rollbacks).toEqual([{ cursor: 7, epoch: 'bbbbbbbbbbbbbbbb' }]);
    expect(stored).toEqual([]);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([]);
    finish();
    await flush();
    h.fake.clock.advance(100);
    expect(h.events).toContainEqual({ type: 'resync', reason: 'server_rollback', cursor: 7, requeued: 2, dropped: 1 });
    // The rollback stored the new epoch with its cursor; the pushes need not again.
    expect(stored).toEqual([{ cursors: [8, 9], epoch: undefined }]);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', cursor: 9 }]);
    // New events, although this device had reported cursors up to 10 before: reported once stored
    // (they waited for the rollback, so they were not shown on arrival).
    const received = h.events.filter((e) => e.type === 'receive');
    expect(received.map((e) => (e.type === 'receive' ? [e.cursor, e.stored] : null))).toEqual([
      [8, true],
      [9, true],
    ]);
  });

  it('when the rollback fails, changes nothing and reconnects, so the server asks again', async () => {
    const h = setup({
      initialCursor: 10,
      initialEpoch: 'aaaaaaaaaaaaaaaa',
      inbox: { rollback: () => Promise.reject(new ParleyError(ErrorCode.DISCONNECTED, 'gone')), rebuild: noRebuild, store: async () => {} },
    });
    h.engine.start();
    h.fake.socket.serverOpen();
    await flush();
    h.fake.socket.serverSend(authOk({ epoch: 'bbbbbbbbbbbbbbbb', resync: { cursor: 7 } }));
    await flush();
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'receive_error', code: 'DISCONNECTED' }));
    expect(h.fake.sockets).toHaveLength(2);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 10, epoch: 'aaaaaaaaaaaaaaaa' });
  });

  it('a new device told to rebuild stores the head cursor before any push, then takes the stream after it without a hole', async () => {
    let finish: () => void = () => {};
    const rebuilds: { cursor: number; epoch: string; reason: string }[] = [];
    const stored: number[][] = [];
    const h = setup({
      inbox: {
        rollback: noRollback,
        rebuild: (to) => {
          rebuilds.push(to);
          return new Promise<void>((resolve) => (finish = resolve));
        },
        store: async (records) => void stored.push(records.map((r) => r.cursor)),
      },
    });
    h.engine.start();
    h.fake.socket.serverOpen();
    await flush();
    const socket = h.fake.socket;
    // Nothing stored: the auth names no cursor, and the server starts the stream at its head.
    expect(sentFrames(socket)[0]).not.toHaveProperty('cursor');
    socket.serverSend(authOk({ epoch: 'bbbbbbbbbbbbbbbb', headCursor: 500, rebuild: { cursor: 500, reason: 'new_device' } }));
    socket.serverSend(frame({ t: 'push', cursor: 501, prev: 500, event: receipt(1) }));
    await flush();
    h.fake.clock.advance(1000);
    expect(rebuilds).toEqual([{ cursor: 500, epoch: 'bbbbbbbbbbbbbbbb', reason: 'new_device' }]);
    expect(stored).toEqual([]);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([]);
    finish();
    await flush();
    h.fake.clock.advance(100);
    expect(h.events).toContainEqual({ type: 'rebuild', reason: 'new_device', cursor: 500 });
    expect(stored).toEqual([[501]]);
    expect(sentFrames(socket).filter((f) => f.t === 'ack')).toEqual([{ t: 'ack', cursor: 501 }]);
    // No replay was asked for: the push's prev is the head, not a hole.
    expect(h.events.filter((e) => e.type === 'receive_error')).toEqual([]);
    socket.serverClose(1006);
    h.fake.clock.advance(60_000);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 501, epoch: 'bbbbbbbbbbbbbbbb' });
  });

  it('after starting at the head of an empty stream, names cursor 0 and its epoch at the next auth: it is no longer a new device', async () => {
    const h = setup({ inbox: { rollback: noRollback, rebuild: async () => {}, store: async () => {} } });
    h.engine.start();
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).not.toHaveProperty('cursor');
    h.fake.socket.serverSend(authOk({ epoch: 'bbbbbbbbbbbbbbbb', headCursor: 0, rebuild: { cursor: 0, reason: 'new_device' } }));
    await flush();
    expect(h.events).toContainEqual({ type: 'rebuild', reason: 'new_device', cursor: 0 });
    // Cut before any push was stored: the replay must start after the head it stored, not at a new head.
    h.fake.socket.serverClose(1006);
    h.fake.clock.advance(60_000);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 0, epoch: 'bbbbbbbbbbbbbbbb' });
  });

  it('told to resync and rebuild, rolls back first, then starts at the head; a failed rebuild reconnects so the server asks again', async () => {
    const order: string[] = [];
    let failRebuild = true;
    const h = setup({
      initialCursor: 10,
      initialEpoch: 'aaaaaaaaaaaaaaaa',
      inbox: {
        rollback: async (to) => {
          order.push(`rollback ${to.cursor}`);
          return { requeued: 0, dropped: 0 };
        },
        rebuild: async (to) => {
          order.push(`rebuild ${to.cursor} ${to.reason}`);
          if (failRebuild) throw new ParleyError(ErrorCode.STORAGE_FULL, 'quota');
        },
        store: async () => {},
      },
    });
    h.engine.start();
    h.fake.socket.serverOpen();
    await flush();
    h.fake.socket.serverSend(authOk({ epoch: 'bbbbbbbbbbbbbbbb', resync: { cursor: 7 }, rebuild: { cursor: 900, reason: 'pruned' } }));
    await flush();
    expect(order).toEqual(['rollback 7', 'rebuild 900 pruned']);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'receive_error', code: 'STORAGE_FULL' }));
    expect(h.events.filter((e) => e.type === 'rebuild')).toEqual([]);
    // The rollback was done and stored: the next auth names its cursor, and the server decides again.
    expect(h.fake.sockets).toHaveLength(2);
    h.fake.socket.serverOpen();
    await flush();
    expect(sentFrames(h.fake.socket)[0]).toMatchObject({ t: 'auth', cursor: 7, epoch: 'bbbbbbbbbbbbbbbb' });
    failRebuild = false;
    h.fake.socket.serverSend(authOk({ epoch: 'bbbbbbbbbbbbbbbb', rebuild: { cursor: 900, reason: 'pruned' } }));
    await flush();
    expect(h.events).toContainEqual({ type: 'rebuild', reason: 'pruned', cursor: 900 });
  });

  it('reports server error frames as receive_error', async () => {
    const h = setup();
    const socket = await online(h);
    socket.serverSend(frame({ t: 'error', code: ErrorCode.RATE_LIMITED, message: 'slow down' }));
    expect(h.events).toContainEqual({ type: 'receive_error', code: 'RATE_LIMITED', message: 'slow down' });
  });

  it('fails pending requests when kicked, and reports the kick', async () => {
    const h = setup();
    const socket = await online(h);
    const pending = h.engine.request('conversations.list', { limit: 1, offset: 0 });
    socket.serverSend(frame({ t: 'kick', reason: 'LOGGED_IN_ELSEWHERE', message: 'elsewhere' }));
    await expect(pending).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.DISCONNECTED));
    expect(h.events).toContainEqual({ type: 'connect_failure', cause: 'kicked', code: 'LOGGED_IN_ELSEWHERE', message: 'elsewhere' });
  });

  it('rejects requests with CLOSED once closed', async () => {
    const h = setup();
    await online(h);
    h.engine.close();
    await expect(h.engine.request('conversations.list', { limit: 1, offset: 0 })).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.CLOSED));
  });
});
