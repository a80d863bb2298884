import { describe, expect, it } from 'vitest';
import { SNAPSHOT_MAX_ROWS, type SnapshotRecord } from '../../../worker/snapshot/snapshotDb';
import { SNAPSHOT_SAVE_DELAY_MS, SnapshotWriter, type SnapshotStorage } from '../../../worker/snapshot/SnapshotWriter';
import type { LocalMessage } from '../../../worker/store/types';
import { FakeClock } from '../../support/fakePlatform';
import { receivedMessage } from '../../support/localMessage';

const row = (id: string, seq: number): LocalMessage => receivedMessage(id, seq);

/** Lets pending promise callbacks run (no timers involved). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** One snapshot database, which several writers (engines) may share; logs what happens, in order. */
class FakeStorage implements SnapshotStorage {
  readonly log: string[] = [];
  readonly records = new Map<string, SnapshotRecord>();
  readonly epochs = new Map<string, number>();
  /** While set, remove() waits for it (after deleting): to act while a removal is under way. */
  hold: Promise<void> | null = null;
  async epoch(user: string): Promise<number> {
    return this.epochs.get(user) ?? 0;
  }
  async put(record: SnapshotRecord, epoch: number): Promise<number | null> {
    const current = this.epochs.get(record.user) ?? 0;
    if (current !== epoch) {
      this.log.push(`refused ${record.conversationId}`);
      return current;
    }
    this.log.push(`put ${record.conversationId}:${record.messages.map((m) => m.id).join(',')}`);
    this.records.set(record.conversationId, record);
    return null;
  }
  async remove(user: string): Promise<number> {
    this.log.push(`remove ${user}`);
    this.records.clear();
    const next = (this.epochs.get(user) ?? 0) + 1;
    this.epochs.set(user, next);
    if (this.hold) await this.hold;
    return next;
  }
  ids(cid = 'c1'): string[] | null {
    return this.records.get(cid)?.messages.map((m) => m.id) ?? null;
  }
}

async function setup(storage = new FakeStorage(), clock = new FakeClock()) {
  const writer = new SnapshotWriter('alice', storage, clock, clock.now);
  await settle(); // the stored epoch is read
  return { clock, storage, writer };
}

describe('SnapshotWriter', () => {
  it('saves the newest page read of each conversation once per window, at most the latest rows', async () => {
    const { clock, storage, writer } = await setup();
    const many = Array.from({ length: SNAPSHOT_MAX_ROWS + 5 }, (_, i) => row(`m${i}`, i + 1));
    writer.saw('c1', many.slice(0, 3), writer.token());
    writer.saw('c1', many, writer.token());
    writer.saw('c2', [row('x', 1)], writer.token());
    expect(storage.log).toEqual([]);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    expect(storage.log).toHaveLength(2);
    expect(storage.ids()).toEqual(many.slice(-SNAPSHOT_MAX_ROWS).map((m) => m.id));
    expect(storage.records.get('c1')).toMatchObject({ v: 1, user: 'alice', conversationId: 'c1', savedAt: clock.now() });
  });

  it('does not save a page read before a removal', async () => {
    const { clock, storage, writer } = await setup();
    const token = writer.token();
    await writer.beforeRemoval();
    await writer.afterRemoval();
    writer.saw('c1', [row('gone', 1)], token);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    expect(storage.log).toEqual(['remove alice', 'remove alice']);
  });

  it('drops pages waiting when a removal starts, and pages read while it runs', async () => {
    const { clock, storage, writer } = await setup();
    writer.saw('c1', [row('a', 1), row('gone', 2)], writer.token());
    await writer.beforeRemoval();
    // Read while the removal runs (another connection may see the rows it is removing).
    const during = writer.token();
    writer.saw('c1', [row('a', 1), row('gone', 2)], during);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await writer.afterRemoval();
    writer.saw('c1', [row('a', 1), row('gone', 2)], during);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    expect(storage.log).toEqual(['remove alice', 'remove alice']);
    // Read after the removal ended: saved.
    writer.saw('c1', [row('a', 1)], writer.token());
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    expect(storage.log.at(-1)).toBe('put c1:a');
  });

  it('the removal resolves only after the delete is done', async () => {
    const { storage, writer } = await setup();
    let release!: () => void;
    storage.hold = new Promise((r) => (release = r));
    let done = false;
    const removal = writer.beforeRemoval().then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    release();
    await removal;
    expect(done).toBe(true);
  });

  it("another engine's page read before this one's removal is refused by the stored epoch", async () => {
    const storage = new FakeStorage();
    const clock = new FakeClock();
    const a = await setup(storage, clock);
    const b = await setup(storage, clock);
    const token = b.writer.token();
    await a.writer.beforeRemoval();
    await a.writer.afterRemoval();
    b.writer.saw('c1', [row('gone', 1)], token);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    expect(storage.ids()).toBeNull();
    expect(storage.log.at(-1)).toBe('refused c1');
    // B learnt the epoch: what it reads now is saved.
    b.writer.saw('c1', [row('kept', 1)], b.writer.token());
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    expect(storage.ids()).toEqual(['kept']);
  });

  it("another engine's page saved while this one's removal runs is deleted when it ends", async () => {
    const storage = new FakeStorage();
    const clock = new FakeClock();
    const a = await setup(storage, clock);
    const b = await setup(storage, clock);
    await a.writer.beforeRemoval();
    // B learns the new epoch (from a refused put), then reads before A's statement commits.
    b.writer.saw('c1', [row('x', 1)], b.writer.token());
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    b.writer.saw('c1', [row('gone', 1)], b.writer.token());
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    await settle();
    expect(storage.ids()).toEqual(['gone']);
    await a.writer.afterRemoval();
    expect(storage.ids()).toBeNull();
  });

  it('saves nothing once closed', async () => {
    const { clock, storage, writer } = await setup();
    writer.saw('c1', [row('a', 1)], writer.token());
    writer.close();
    writer.saw('c1', [row('a', 1)], writer.token());
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    expect(storage.log).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
