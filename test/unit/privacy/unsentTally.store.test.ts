/**
 * The unsent tally on a real LocalStore (better-sqlite3): it follows the outbox through sends
 * stored, sent (one by one and in a batch), deleted, and a failed enqueue, and a tally read at any
 * point while a send is stored is never below the messages actually unsent.
 */
import { describe, expect, it } from 'vitest';
import { UnsentTally, type TallyStorage } from '../../../worker/privacy/unsentTally';
import { C1, enqueueText, openStore, sentCopy } from '../store/harness';

function tallyOn() {
  const written: number[] = [];
  const storage: TallyStorage = { get: async () => written.at(-1) ?? null, put: async (_u, n) => void written.push(n), forget: async () => {} };
  let count = (): Promise<number> => Promise.resolve(0);
  const tally = new UnsentTally('alice', () => count(), storage);
  return { tally, written, bind: (c: () => Promise<number>) => (count = c) };
}

describe('UnsentTally on LocalStore', () => {
  it('follows the outbox: stored, sent alone and in a batch, deleted', async () => {
    const t = tallyOn();
    const o = await openStore({ outboxWatch: t.tally });
    t.bind(() => o.store.unsentCount());
    const a = await enqueueText(o, 'a');
    const b = await enqueueText(o, 'b');
    const c = await enqueueText(o, 'c');
    const d = await enqueueText(o, 'd');
    await t.tally.settled();
    expect(t.written.at(-1)).toBe(4);
    await o.store.markSent(a.id, sentCopy(a, 1));
    await t.tally.settled();
    expect(t.written.at(-1)).toBe(3);
    await o.store.markSentBatch(C1, [sentCopy(b, 2), sentCopy(c, 3)]);
    await t.tally.settled();
    expect(t.written.at(-1)).toBe(1);
    await o.store.deletePending(d.id);
    await t.tally.settled();
    expect(t.written.at(-1)).toBe(0);
    // The first message after the outbox was empty raised the tally before it was stored.
    expect(t.written[0]).toBe(1);
  });

  it('an enqueue that fails leaves the tally at the truth', async () => {
    const t = tallyOn();
    const o = await openStore({ outboxWatch: t.tally });
    t.bind(() => o.store.unsentCount());
    await enqueueText(o, 'kept');
    o.faults.fail = (sql) => sql === 'COMMIT';
    await expect(enqueueText(o, 'lost')).rejects.toBeDefined();
    o.faults.fail = null;
    await t.tally.settled();
    expect(t.written.at(-1)).toBe(1);
    expect(await o.store.unsentCount()).toBe(1);
  });

  it('says at least one as soon as a send is stored, before any recount', async () => {
    const t = tallyOn();
    const o = await openStore({ outboxWatch: t.tally });
    t.bind(() => o.store.unsentCount());
    for (let i = 0; i < 5; i++) {
      await enqueueText(o, `m${i}`);
      // Read right as the send resolves: its recount may not have run yet.
      expect(t.written.at(-1)).toBeGreaterThanOrEqual(1);
    }
    await t.tally.settled();
    expect(t.written.at(-1)).toBe(5);
  });
});
