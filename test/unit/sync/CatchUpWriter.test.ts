/**
 * The catch-up writer: pages fetched while a store runs go together into the next store, the
 * fetcher is held back when too many wait, and a failed store ends the catch-up without storing
 * what came after it. The store is a fake whose writes the test finishes by hand.
 */
import { describe, expect, it } from 'vitest';
import { CatchUpWriter } from '../../../worker/sync/CatchUpWriter';

function harness(maxAhead: number) {
  const stores: { items: number[]; finish: () => void; fail: (e: Error) => void }[] = [];
  const writer = new CatchUpWriter<number>(
    (items) =>
      new Promise<void>((resolve, reject) => {
        stores.push({ items, finish: resolve, fail: reject });
      }),
    maxAhead,
  );
  return { writer, stores };
}

/** Lets settled promises run their continuations. */
const flush = () => new Promise<void>((r) => setImmediate(r));

const page = (from: number, n = 2) => Array.from({ length: n }, (_, i) => from + i);

describe('CatchUpWriter', () => {
  it('stores the first page at once and every page that came meanwhile in the next store', async () => {
    const { writer, stores } = harness(5);
    await writer.add(page(1));
    expect(stores.map((s) => s.items)).toEqual([[1, 2]]);
    await writer.add(page(3));
    await writer.add(page(5));
    expect(stores).toHaveLength(1);
    stores[0]!.finish();
    await flush();
    expect(stores.map((s) => s.items)).toEqual([
      [1, 2],
      [3, 4, 5, 6],
    ]);
    stores[1]!.finish();
    await writer.drained();
    expect(stores).toHaveLength(2);
  });

  it('holds the fetcher back while maxAhead pages wait, and lets it go once they are taken', async () => {
    const { writer, stores } = harness(2);
    await writer.add(page(1));
    await writer.add(page(3));
    let released = false;
    const third = writer.add(page(5)).then(() => (released = true));
    await flush();
    expect(released).toBe(false);
    stores[0]!.finish();
    await third;
    expect(stores.map((s) => s.items)).toEqual([
      [1, 2],
      [3, 4, 5, 6],
    ]);
  });

  it('ends on a failed store: add and drained reject, and nothing waiting is stored', async () => {
    const { writer, stores } = harness(5);
    await writer.add(page(1));
    await writer.add(page(3));
    stores[0]!.fail(new Error('quota'));
    await expect(writer.drained()).rejects.toThrow('quota');
    await expect(writer.add(page(5))).rejects.toThrow('quota');
    expect(stores).toHaveLength(1);
  });

  it('drained waits for the store that is running and the one queued after it', async () => {
    const { writer, stores } = harness(5);
    await writer.add(page(1));
    await writer.add(page(3));
    let done = false;
    const drained = writer.drained().then(() => (done = true));
    stores[0]!.finish();
    await flush();
    expect(done).toBe(false);
    stores[1]!.finish();
    await drained;
    expect(done).toBe(true);
  });

  it('skips empty pages and refuses a bound below one', async () => {
    const { writer, stores } = harness(1);
    await writer.add([]);
    await writer.drained();
    expect(stores).toHaveLength(0);
    expect(() => new CatchUpWriter<number>(async () => {}, 0)).toThrow(RangeError);
  });
});
