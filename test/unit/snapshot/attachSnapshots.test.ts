/**
 * The snapshot wired to a real store (SQLite through better-sqlite3): pages come from the store's
 * reads, and a removal deletes the snapshot before SQLite removes the row.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attachSnapshots } from '../../../worker/snapshot/attachSnapshots';
import type { SnapshotRecord } from '../../../worker/snapshot/snapshotDb';
import { SNAPSHOT_SAVE_DELAY_MS, type SnapshotStorage } from '../../../worker/snapshot/SnapshotWriter';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../../worker/store/LocalStore';
import { FakeClock } from '../../support/fakePlatform';
import { C1, ME, messagePush, msg, text } from '../store/harness';

async function setup() {
  const clock = new FakeClock();
  const log: string[] = [];
  const records = new Map<string, SnapshotRecord>();
  let epoch = 0;
  const storage: SnapshotStorage = {
    epoch: async () => epoch,
    put: async (r, e) => (e === epoch ? (records.set(`${r.user}/${r.conversationId}`, r), null) : epoch),
    remove: async (user) => {
      log.push('snapshot delete');
      for (const k of [...records.keys()]) if (k.startsWith(`${user}/`)) records.delete(k);
      return ++epoch;
    },
  };
  const driver = new BetterSqliteDriver(':memory:', { onStatement: (sql) => /DELETE FROM messages/.test(sql) && log.push('sqlite delete') });
  const wiring = attachSnapshots(ME, driver, storage, clock, clock.now);
  await new Promise<void>((r) => setImmediate(r)); // the stored epoch is read
  const store = await LocalStore.open(wiring.driver, { userId: ME, now: clock.now });
  wiring.observe(store);
  const saved = () => records.get(`${ME}/${C1}`)?.messages.map((m) => m.id) ?? null;
  /** What a live view does after a change: read the latest page; the snapshot follows. */
  const view = async () => {
    const rows = await store.latest(C1, 50);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await new Promise<void>((r) => setImmediate(r));
    return rows.map((m) => m.id);
  };
  return { store, log, saved, view };
}

describe('attachSnapshots', () => {
  it("saves the page a view reads, and a rollback deletes it before removing others' messages", async () => {
    const { store, log, saved, view } = await setup();
    const kept = msg(1);
    const lost = msg(2);
    await store.ingest([messagePush(1, kept), messagePush(2, lost)]);
    expect(await view()).toEqual([kept.id, lost.id]);
    expect(saved()).toEqual([kept.id, lost.id]);

    log.length = 0;
    await store.rollback({ cursor: 1, epoch: 'e2', kept: new Map([[C1, 1]]) });
    expect(log).toEqual(['snapshot delete', 'sqlite delete', 'snapshot delete']);
    expect(saved()).toBeNull();
    expect(await view()).toEqual([kept.id]);
    expect(saved()).toEqual([kept.id]);
    await store.close();
  });

  it('a deleted pending message is out of the snapshot before it is out of the database', async () => {
    const { store, log, saved, view } = await setup();
    const pending = await store.enqueue({ id: randomUUID(), conversationId: C1, content: text('oops'), createdAt: 1 });
    await view();
    expect(saved()).toEqual([pending.id]);
    log.length = 0;
    await store.deletePending(pending.id);
    expect(log).toEqual(['snapshot delete', 'sqlite delete', 'snapshot delete']);
    expect(saved()).toBeNull();
    await store.close();
  });
});
