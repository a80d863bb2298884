/**
 * The unsent tally on a real LocalStore (better-sqlite3): it follows the outbox through sends
 * stored, sent (one by one and in a batch), deleted, and a failed enqueue, and a tally read at any
 * point while a send is stored is never below the messages actually unsent.
 */
import { describe, expect, it } from 'vitest';
import { UnsentTally, type TallyStorage } from '../../../worker/privacy/unsentTally';
import { C1, enqueueText, openStore, sentCopy } from '../store/harness';
import type { SqlExecutor } from '../../../worker/store/SqlDriver';
import { unsentCount } from '../../../worker/store/outbox';

/** A store with a tally counting on its driver, as openUserStore wires it; the tally's writes kept. */
async function tallied() {
  const written: number[] = [];
  const storage: TallyStorage = { get: async () => written.at(-1) ?? null, put: async (_u, n) => void written.push(n), forget: async () => {} };
  let driver: SqlExecutor | null = null;
  const tally = new UnsentTally('alice', () => unsentCount(driver!), storage);
  const o = await openStore({ outboxWatch: tally });
  driver = o.driver;
  return { ...o, tally, written };
}

describe('UnsentTally on LocalStore', () => {
  it('follows the outbox: stored, sent alone and in a batch, deleted', async () => {
    const o = await tallied();
    const a = await enqueueText(o, 'a');
    const b = await enqueueText(o, 'b');
    const c = await enqueueText(o, 'c');
    const d = await enqueueText(o, 'd');
    await o.tally.settled();
    expect(o.written.at(-1)).toBe(4);
    await o.store.markSent(a.id, sentCopy(a, 1));
    await o.tally.settled();
    expect(o.written.at(-1)).toBe(3);
    await o.store.markSentBatch(C1, [sentCopy(b, 2), sentCopy(c, 3)]);
    await o.tally.settled();
    expect(o.written.at(-1)).toBe(1);
    await o.store.deletePending(d.id);
    await o.tally.settled();
    expect(o.written.at(-1)).toBe(0);
    // The first message after the outbox was empty raised the tally before it was stored.
    expect(o.written[0]).toBe(1);
  });

  it('an enqueue that fails leaves the tally at the truth', async () => {
    const o = await tallied();
    await enqueueText(o, 'kept');
    o.faults.fail = (sql) => sql === 'COMMIT';
    await expect(enqueueText(o, 'lost')).rejects.toBeDefined();
    o.faults.fail = null;
    await o.tally.settled();
    expect(o.written.at(-1)).toBe(1);
    expect(await o.store.unsentCount()).toBe(1);
  });

  it('says at least one as soon as a send is stored, before any recount', async () => {
    const o = await tallied();
    for (let i = 0; i < 5; i++) {
      await enqueueText(o, `m${i}`);
      // Read right as the send resolves: its recount may not have run yet.
      expect(o.written.at(-1)).toBeGreaterThanOrEqual(1);
    }
    await o.tally.settled();
    expect(o.written.at(-1)).toBe(5);
  });
});
