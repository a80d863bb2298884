/**
 * Sending a queue in batches: runs from the conversation's head go out as messages.sendBatch, in
 * order; whatever the server answers (a failure mid-batch, a refusal of the whole batch, an older
 * server), nothing stored ever follows something that was not, and nothing is sent twice.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError, type Content } from '../../../schema';
import type { BatchResult } from '../../../worker/sync/OutboxRunner';
import { enqueueText, ME, type Opened } from '../store/harness';
import { setupRunner } from './harness';

const texts = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const textOf = (c: Content) => (c as { text: string }).text;

async function enqueueAll(o: Opened, bodies: string[]) {
  const ids: string[] = [];
  for (const b of bodies) ids.push((await enqueueText(o, b)).id);
  return ids;
}

describe('OutboxRunner batches', () => {
  it('sends a queue of 120 as two batches, in order, each message once', async () => {
    const s = await setupRunner();
    const bodies = texts(120);
    await enqueueAll(s.o, bodies);
    const done = s.attempts(120);
    s.runner.kick();
    await done;
    expect(s.calls).toEqual([
      { kind: 'batch', size: 100 },
      { kind: 'batch', size: 20 },
    ]);
    expect(s.server.map((m) => textOf(m.content))).toEqual(bodies);
    expect(await s.o.store.pendingCount()).toBe(0);
    expect((await s.o.store.latest('c_1', 200)).every((m) => m.state === 'sent')).toBe(true);
    s.runner.close();
  });

  it('a batch cut short by closing the engine stays queued for the next open, not failed', async () => {
    let release: () => void = () => {};
    const s = await setupRunner({
      batch: () =>
        new Promise((_, reject) => {
          release = () => reject(new ParleyError(ErrorCode.CLOSED, 'the engine is closed'));
        }),
    });
    await enqueueAll(s.o, texts(3));
    const done = s.attempts(1);
    s.runner.kick();
    await expect.poll(() => s.calls.length).toBe(1);
    s.runner.close();
    release();
    await done;
    expect(await s.o.store.pendingCount()).toBe(3);
    expect((await s.o.store.latest('c_1', 10)).map((m) => m.state)).toEqual(['pending', 'pending', 'pending']);
  });

  it('keeps a batch under the frame budget by bytes', async () => {
    const s = await setupRunner();
    const big = texts(10).map((t) => t + 'x'.repeat(7000)); // ~7 KB each: 6 fit in 48 KB
    await enqueueAll(s.o, big);
    const done = s.attempts(10);
    s.runner.kick();
    await done;
    expect(s.calls.map((c) => c.size)).toEqual([6, 4]);
    expect(s.server.map((m) => textOf(m.content))).toEqual(big);
  });

  it('after a permanent failure mid-batch: what came before is sent, that one failed, the rest follow in order', async () => {
    let first = true;
    const s = await setupRunner({
      batch: async (messages, store) => {
        if (!first) return messages.map(store);
        first = false;
        return [store(messages[0]!), store(messages[1]!), { ok: false, error: { code: ErrorCode.CONFLICT, message: 'id used elsewhere' } }];
      },
    });
    const ids = await enqueueAll(s.o, texts(6));
    const done = s.attempts(6);
    s.runner.kick();
    await done;
    expect(s.server.map((m) => textOf(m.content))).toEqual(['m0', 'm1', 'm3', 'm4', 'm5']);
    expect(await s.o.store.message(ME, ids[2]!)).toMatchObject({ state: 'failed', error: { code: ErrorCode.CONFLICT } });
  });

  it('after a retryable failure mid-batch, the rest wait behind it, so the order holds', async () => {
    let first = true;
    const s = await setupRunner({
      batch: async (messages, store) => {
        if (!first) return messages.map(store);
        first = false;
        return [store(messages[0]!), { ok: false, error: { code: ErrorCode.INTERNAL, message: 'disk hiccup' } }];
      },
    });
    await enqueueAll(s.o, texts(4));
    let done = s.attempts(2);
    s.runner.kick();
    await done;
    expect(s.server.map((m) => textOf(m.content))).toEqual(['m0']);
    done = s.attempts(3);
    s.fake.clock.advance(3_000); // the retry's backoff
    await done;
    expect(s.server.map((m) => textOf(m.content))).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('sends what waits for a retry at once when the connection is back, without waiting out the backoff', async () => {
    let down = true;
    const s = await setupRunner({
      batch: async (messages, store) => {
        if (down) throw new ParleyError(ErrorCode.DISCONNECTED, 'the link dropped');
        return messages.map(store);
      },
    });
    const ids = await enqueueAll(s.o, texts(3));
    let done = s.attempts(1);
    s.runner.kick();
    await done;
    expect(await s.o.store.message(ME, ids[0]!)).toMatchObject({ state: 'pending', error: { code: ErrorCode.DISCONNECTED } });
    down = false;
    done = s.attempts(3);
    s.runner.reconnected(); // no clock advance: the 1 s backoff is not waited out
    await done;
    expect(s.server.map((m) => textOf(m.content))).toEqual(texts(3));
  });

  it('a whole batch refused as invalid: its head goes alone to learn its own fate, then batching resumes', async () => {
    const s = await setupRunner({
      batch: async (messages, store) => {
        if (messages.length > 1 && messages.some((m) => textOf(m.content) === 'm0')) throw new ParleyError(ErrorCode.INVALID_PARAMS, 'messages.2.content: bad');
        return messages.map(store);
      },
    });
    await enqueueAll(s.o, texts(5));
    const done = s.attempts(6); // the refused batch, its head alone, then the other four
    s.runner.kick();
    await done;
    expect(s.calls).toEqual([
      { kind: 'batch', size: 5 },
      { kind: 'send', size: 1 },
      { kind: 'batch', size: 4 },
    ]);
    expect(s.server.map((m) => textOf(m.content))).toEqual(texts(5));
  });

  it('an older server without sendBatch: every message alone, in order', async () => {
    const s = await setupRunner({
      batch: async () => {
        throw new ParleyError(ErrorCode.UNKNOWN_REQUEST, 'unknown request type messages.sendBatch');
      },
    });
    await enqueueAll(s.o, texts(3));
    const done = s.attempts(4); // the refused batch, then each alone
    s.runner.kick();
    await done;
    expect(s.calls.map((c) => c.kind)).toEqual(['batch', 'send', 'send', 'send']);
    expect(s.server.map((m) => textOf(m.content))).toEqual(texts(3));
  });

  it('stops a batch at a message that must be prepared first (a media upload), which then goes alone', async () => {
    const s = await setupRunner({
      ready: (item) => textOf(item.content) !== 'photo',
      prepare: async (item) => (textOf(item.content) === 'photo' ? { type: 'text', text: 'photo (uploaded)' } : item.content),
    });
    await enqueueAll(s.o, ['a', 'b', 'photo', 'c', 'd']);
    const done = s.attempts(5);
    s.runner.kick();
    await done;
    expect(s.calls).toEqual([
      { kind: 'batch', size: 2 },
      { kind: 'send', size: 1 },
      { kind: 'batch', size: 2 },
    ]);
    expect(s.server.map((m) => textOf(m.content))).toEqual(['a', 'b', 'photo (uploaded)', 'c', 'd']);
  });

  it('ignores results beyond the batch and results for messages not its own', async () => {
    const stranger = randomUUID();
    const s = await setupRunner({
      batch: async (messages, store) => {
        const real = messages.map(store);
        const first = real[0] as Extract<BatchResult, { ok: true }>;
        const other: BatchResult = { ...first, message: { ...first.message, id: stranger } };
        return [other, ...real.slice(1), ...real];
      },
    });
    const ids = await enqueueAll(s.o, texts(2));
    const done = s.attempts(2);
    s.runner.kick();
    await done;
    // m0's result named another message: m0 stays pending (sent again later, a duplicate the server absorbs).
    expect(await s.o.store.message(ME, ids[0]!)).toMatchObject({ state: 'pending' });
    expect(await s.o.store.message(ME, ids[1]!)).toMatchObject({ state: 'sent' });
    s.runner.close();
  });
});

describe('OutboxRunner pipelines batches', () => {
  /** Holds every local settle (of a batch, or of one message) until released, counting the calls. */
  function gateSettles(s: Awaited<ReturnType<typeof setupRunner>>) {
    const store = s.o.store;
    const batch = store.markSentBatch.bind(store);
    const one = store.markSent.bind(store);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const settles: number[] = [];
    store.markSentBatch = async (conversationId, messages) => {
      settles.push(messages.length);
      await gate;
      return batch(conversationId, messages);
    };
    store.markSent = async (id, message) => {
      await gate;
      return one(id, message);
    };
    return { settles, open };
  }

  it('sends the next batch while the previous one is still being settled, and settles them in order', async () => {
    let secondSent!: () => void;
    const second = new Promise<void>((r) => (secondSent = r));
    let batches = 0;
    const s = await setupRunner({
      batch: async (messages, store) => {
        if (++batches === 2) secondSent();
        return messages.map(store);
      },
    });
    const gate = gateSettles(s);
    const bodies = texts(250);
    await enqueueAll(s.o, bodies);
    const done = s.attempts(250);
    s.runner.kick();
    // The first batch's local commit is held, yet the second batch goes out.
    await second;
    expect(await s.o.store.pendingCount()).toBe(250);
    gate.open();
    await done;
    expect(s.calls).toEqual([
      { kind: 'batch', size: 100 },
      { kind: 'batch', size: 100 },
      { kind: 'batch', size: 50 },
    ]);
    expect(gate.settles).toEqual([100, 100, 50]);
    expect(s.server.map((m) => textOf(m.content))).toEqual(bodies);
    expect((await s.o.store.latest('c_1', 300)).map((m) => [m.seq, m.state])).toEqual(bodies.map((_, i) => [i + 1, 'sent']));
    s.runner.close();
  });

  it('a failure in a later batch ends the run behind the earlier batch, which is still settled', async () => {
    let batches = 0;
    const s = await setupRunner({
      batch: async (messages, store) => {
        if (++batches !== 2) return messages.map(store);
        return [...messages.slice(0, 5).map(store), { ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'no longer a member' } }];
      },
    });
    const gate = gateSettles(s);
    await enqueueAll(s.o, texts(250));
    const done = s.attempts(106); // the first batch, five of the second, and its failure
    s.runner.kick();
    await expect.poll(() => batches).toBe(2);
    gate.open();
    await done;
    expect(s.calls).toEqual([
      { kind: 'batch', size: 100 },
      { kind: 'batch', size: 100 },
    ]);
    const states = (await s.o.store.latest('c_1', 300)).map((m) => m.state);
    expect(states.slice(0, 105).every((st) => st === 'sent')).toBe(true);
    // The failed message is failed; everything behind it is still queued, in order, unsent.
    expect(states.slice(105)).toEqual(['failed', ...Array.from({ length: 144 }, () => 'pending')]);
    expect(await s.o.store.pendingCount()).toBe(144);
    s.runner.close();
  });
});
