/**
 * The outbox's retry poll: it runs while something queued waits for its retry time, costs one
 * COUNT per arming however many kicks arrive, and stays off while offline (the reconnect kicks).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError, type Content } from '../../../schema';
import { enqueueText, ME } from '../store/harness';
import { setupRunner } from './harness';

const textOf = (c: Content) => (c as { text: string }).text;
/** Lets every promise the runner chained settle (the store answers within a few turns). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('OutboxRunner retry poll', () => {
  it('offline, a burst of sends neither counts the queue nor arms a poll; the reconnect sends them all in order', async () => {
    let online = false;
    const s = await setupRunner({ online: () => online });
    let counts = 0;
    const count = s.o.store.pendingCount.bind(s.o.store);
    s.o.store.pendingCount = () => (counts++, count());
    const bodies = Array.from({ length: 20 }, (_, i) => `offline ${i}`);
    for (const b of bodies) {
      await enqueueText(s.o, b);
      s.runner.kick(); // what every send does
    }
    await settle();
    expect(counts).toBe(0);
    expect(s.fake.clock.pending).toBe(0);
    expect(s.server).toHaveLength(0);
    online = true;
    const done = s.attempts(20);
    s.runner.reconnected();
    await done;
    expect(s.server.map((m) => textOf(m.content))).toEqual(bodies);
  });

  it('kicks during a count ask for one more after it: one poll is armed, and it retries what waits', async () => {
    let down = true;
    const s = await setupRunner({
      batch: async (messages, store) => {
        if (down) throw new ParleyError(ErrorCode.DISCONNECTED, 'the link dropped');
        return messages.map(store);
      },
    });
    // Two, so they go as a batch (the scripted failure).
    const first = await enqueueText(s.o, 'waits for its retry');
    await enqueueText(s.o, 'behind it');
    let done = s.attempts(1);
    s.runner.kick();
    await done;
    await settle();
    expect(await s.o.store.message(ME, first.id)).toMatchObject({ state: 'pending', error: { code: ErrorCode.DISCONNECTED } });
    const armedBefore = s.fake.clock.pending;

    // Counts are held open, so kicks pile up behind the first.
    let counts = 0;
    const gates: (() => void)[] = [];
    const count = s.o.store.pendingCount.bind(s.o.store);
    s.o.store.pendingCount = () => {
      counts++;
      return new Promise<void>((r) => gates.push(r)).then(count);
    };
    s.fake.clock.advance(60_000); // the poll armed after the failure fires and kicks
    for (let i = 0; i < 10; i++) s.runner.kick();
    await settle();
    const countsWhileHeld = counts;
    while (gates.length > 0) {
      gates.shift()!();
      await settle();
    }
    expect(armedBefore).toBe(1);
    expect(countsWhileHeld).toBe(1);
    expect(s.fake.clock.pending).toBe(1); // one poll, not one per count
    s.o.store.pendingCount = count;
    down = false;
    done = s.attempts(2);
    // The poll fires and the one after it (the retry may not be due at the first): polling goes on.
    for (let i = 0; i < 3 && s.server.length < 2; i++) {
      s.fake.clock.advance(60_000);
      await settle();
    }
    await done;
    expect(s.server.map((m) => textOf(m.content))).toEqual(['waits for its retry', 'behind it']);
  });
});
