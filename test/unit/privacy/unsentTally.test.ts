/**
 * The unsent tally kept outside an encrypted database: never 0 while a message may be unsent, and
 * the true count once writes settle. Storage and the count are fakes the test steps by hand.
 */
import { describe, expect, it } from 'vitest';
import { UnsentTally, type TallyStorage } from '../../../worker/privacy/unsentTally';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function memoryTally() {
  const values: number[] = [];
  const storage: TallyStorage = {
    get: async () => values.at(-1) ?? null,
    put: async (_user, n) => void values.push(n),
    forget: async () => void (values.length = 0),
  };
  return { storage, values };
}

describe('UnsentTally', () => {
  it('raises the tally before the first message is stored, then follows the outbox', async () => {
    const { storage, values } = memoryTally();
    let rows = 0;
    const tally = new UnsentTally('alice', async () => rows, storage);
    await tally.beforeEnqueue();
    // Written before the message's own commit: a crash from here on still says "1".
    expect(values).toEqual([1]);
    rows = 1;
    tally.enqueueSettled();
    await tally.settled();
    expect(values.at(-1)).toBe(1);
    await tally.beforeEnqueue();
    rows = 2;
    tally.enqueueSettled();
    await tally.settled();
    expect(values.at(-1)).toBe(2);
    rows = 0;
    tally.changed();
    await tally.settled();
    expect(values.at(-1)).toBe(0);
  });

  it('counts messages still being stored: a recount taken before their commit does not say 0', async () => {
    const { storage, values } = memoryTally();
    let rows = 0;
    const gate = deferred<number>();
    let counts = 0;
    const tally = new UnsentTally('alice', () => (++counts === 2 ? gate.promise : Promise.resolve(rows)), storage);
    await tally.beforeEnqueue(); // count #1: 0 rows + 1 storing
    tally.changed(); // count #2 starts, reads 0 rows before the commit below
    rows = 1;
    gate.resolve(0);
    await tally.settled();
    expect(values.every((n) => n >= 1)).toBe(true);
    tally.enqueueSettled();
    await tally.settled();
    expect(values.at(-1)).toBe(1);
  });

  it('shares one recount among changes that come while one is queued', async () => {
    const { storage } = memoryTally();
    let counted = 0;
    const tally = new UnsentTally('alice', async () => {
      counted++;
      return 0;
    }, storage);
    for (let i = 0; i < 10; i++) tally.changed();
    await tally.settled();
    expect(counted).toBe(1);
  });

  it('keeps going when a write fails', async () => {
    let fail = true;
    const written: number[] = [];
    const storage: TallyStorage = {
      get: async () => null,
      put: async (_u, n) => {
        if (fail) throw new Error('quota');
        written.push(n);
      },
      forget: async () => {},
    };
    let rows = 3;
    const tally = new UnsentTally('alice', async () => rows, storage);
    const warn = console.warn;
    console.warn = () => {};
    try {
      tally.changed();
      await tally.settled();
      fail = false;
      rows = 4;
      tally.changed();
      await tally.settled();
    } finally {
      console.warn = warn;
    }
    expect(written).toEqual([4]);
  });

  it('never stops a send: a tally that cannot be written before one is stored is warned about', async () => {
    const storage: TallyStorage = {
      get: async () => null,
      put: async () => {
        throw new Error('blocked');
      },
      forget: async () => {},
    };
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a);
    try {
      const tally = new UnsentTally('alice', async () => 0, storage);
      await expect(tally.beforeEnqueue()).resolves.toBeUndefined();
      tally.enqueueSettled();
      await tally.settled();
    } finally {
      console.warn = warn;
    }
    expect(warnings.length).toBeGreaterThan(0);
  });
});
