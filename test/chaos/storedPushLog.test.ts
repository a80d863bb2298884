/**
 * The chaos worker's view of a browser's database (browser/chaosStore.ts, storedPushLog.ts), on
 * better-sqlite3: the log lists exactly the pushes committed, by the transaction that stored them,
 * and diagnostics() returns the stored rows with it.
 */
import { describe, expect, it } from 'vitest';
import { BetterSqliteDriver } from '../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../worker/store/LocalStore';
import { C1, ME, messagePush, msg, receiptPush, tempFile, text } from '../unit/store/harness';
import { chaosPart, openChaosStore } from './browser/chaosStore';
import { readStoredPushes } from './storedPushLog';

/** A store opened as the chaos worker opens one, on a file whose COMMITs fail while `disk.full`. */
async function open(file = tempFile()) {
  const disk = { full: false, commits: 0 };
  const driver = new BetterSqliteDriver(file, {
    failWrites: (sql) => disk.full && sql === 'COMMIT',
    onStatement: (sql) => void (sql === 'COMMIT' && disk.commits++),
  });
  const { store } = await openChaosStore(async (wrap) => ({
    store: await LocalStore.open(wrap(driver), { userId: ME, now: () => 1_000 }),
    durability: driver.durability,
  }));
  return { store, disk, file };
}

const logged = async (store: LocalStore) => chaosPart(await store.diagnostics()).pushes;

describe('the log of stored pushes', () => {
  it('lists every push an ingest stored, and diagnostics() returns it with the stored rows and cursor', async () => {
    const { store } = await open();
    await store.ingest([messagePush(3, msg(1, { sender: 'bob', text: 'one' })), receiptPush(4, 'bob', 'read', 1)]);
    await store.ingest([messagePush(5, msg(2, { sender: 'bob', text: 'two' }))]);
    const { rows, pushes } = chaosPart(await store.diagnostics());
    expect(pushes).toEqual([3, 4, 5]);
    expect(rows.cursor).toBe(5);
    expect(rows.messages.map((m) => [m.seq, m.state, JSON.parse(m.content)])).toEqual([
      [1, 'received', text('one')],
      [2, 'received', text('two')],
    ]);
    expect(rows.readSeq).toEqual([[C1, 0]]);
    expect(rows.outbox).toEqual([]);
  });

  it('leaves out a push the engine never handed over, though the cursor passed it', async () => {
    const { store } = await open();
    await store.ingest([messagePush(5, msg(1, { sender: 'bob' })), messagePush(7, msg(3, { sender: 'bob' }))]);
    expect(await logged(store)).toEqual([5, 7]);
    expect(chaosPart(await store.diagnostics()).rows.cursor).toBe(7);
  });

  it('lists nothing of an ingest whose transaction failed, and the push once a replay stored it', async () => {
    const { store, disk } = await open();
    disk.full = true;
    await expect(store.ingest([messagePush(3, msg(1, { sender: 'bob' }))])).rejects.toMatchObject({ code: 'STORAGE_FULL' });
    disk.full = false;
    expect(await logged(store)).toEqual([]);
    await store.ingest([messagePush(3, msg(1, { sender: 'bob' }))]);
    expect(await logged(store)).toEqual([3]);
  });

  it('lists nothing for a duplicate at or below the stored cursor, nor for writes that store no push', async () => {
    const { store } = await open();
    await store.ingest([messagePush(5, msg(1, { sender: 'bob' }))]);
    await store.ingest([messagePush(4, msg(9, { sender: 'bob' })), messagePush(5, msg(1, { sender: 'bob' }))]);
    await store.enqueue({ id: 'own-1', conversationId: C1, content: text('mine'), createdAt: 1_000 });
    expect(await logged(store)).toEqual([5]);
  });

  it('is committed with the pushes: an engine that dies right after the commit leaves it in the file', async () => {
    const { store, file, disk } = await open();
    const before = disk.commits;
    await store.ingest([messagePush(3, msg(1, { sender: 'bob' }))]);
    expect(disk.commits - before).toBe(1); // one transaction: the pushes and their log line
    // No close, no later write: read the file as it is, as the next worker would find it.
    const reader = new BetterSqliteDriver(file);
    try {
      expect(await readStoredPushes(reader)).toEqual([3]);
    } finally {
      await reader.close();
    }
  });
});
