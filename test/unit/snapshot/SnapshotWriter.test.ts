import { describe, expect, it } from 'vitest';
import { SNAPSHOT_MAX_ROWS, type SnapshotRecord } from '../../../worker/snapshot/snapshotDb';
import { SNAPSHOT_SAVE_DELAY_MS, SnapshotWriter, type SnapshotStorage } from '../../../worker/snapshot/SnapshotWriter';
import type { LocalMessage } from '../../../worker/store/types';
import { FakeClock } from '../../support/fakePlatform';

const row = (id: string, seq: number): LocalMessage => ({
  id,
  senderId: 'bob',
  conversationId: 'c1',
  seq,
  content: { type: 'text', text: id },
  state: 'received',
  error: null,
  createdAt: seq,
  serverTs: seq,
});

/** Records puts and deletes in order; a delete can be held to see what happens meanwhile. */
class FakeStorage implements SnapshotStorage {
  readonly log: string[] = [];
  readonly records = new Map<string, SnapshotRecord>();
  hold: Promise<void> | null = null;
  async put(record: SnapshotRecord): Promise<void> {
    this.log.push(`put ${record.conversationId}:${record.messages.map((m) => m.id).join(',')}`);
    this.records.set(record.conversationId, record);
  }
  async deleteUser(user: string): Promise<void> {
    this.log.push(`delete ${user}`);
    if (this.hold) await this.hold;
    this.records.clear();
  }
}

function setup() {
  const clock = new FakeClock();
  const storage = new FakeStorage();
  const writer = new SnapshotWriter('alice', storage, clock, clock.now);
  return { clock, storage, writer };
}

describe('SnapshotWriter', () => {
  it('saves the newest page read of each conversation once per window, at most the latest rows', () => {
    const { clock, storage, writer } = setup();
    const many = Array.from({ length: SNAPSHOT_MAX_ROWS + 5 }, (_, i) => row(`m${i}`, i + 1));
    writer.saw('c1', many.slice(0, 3), writer.current);
    writer.saw('c1', many, writer.current);
    writer.saw('c2', [row('x', 1)], writer.current);
    expect(storage.log).toEqual([]);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    expect(storage.log).toHaveLength(2);
    const saved = storage.records.get('c1')!;
    expect(saved.messages.map((m) => m.id)).toEqual(many.slice(-SNAPSHOT_MAX_ROWS).map((m) => m.id));
    expect(saved).toMatchObject({ v: 1, user: 'alice', conversationId: 'c1', savedAt: clock.now() });
  });

  it('does not save a page read before a removal', async () => {
    const { clock, storage, writer } = setup();
    const readAt = writer.current;
    await writer.beforeRemoval();
    writer.afterRemoval();
    writer.saw('c1', [row('gone', 1)], readAt);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    expect(storage.log).toEqual(['delete alice']);
  });

  it('drops pages waiting when a removal starts, and pages read while it runs', async () => {
    const { clock, storage, writer } = setup();
    writer.saw('c1', [row('a', 1), row('gone', 2)], writer.current);
    let release!: () => void;
    storage.hold = new Promise((r) => (release = r));
    const removal = writer.beforeRemoval();
    // Read while the removal runs (another connection may see the rows it is removing).
    writer.saw('c1', [row('a', 1), row('gone', 2)], writer.current);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    release();
    await removal;
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    writer.afterRemoval();
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    expect(storage.log).toEqual(['delete alice']);
    // Read after the removal ended: saved.
    writer.saw('c1', [row('a', 1)], writer.current);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    expect(storage.log).toEqual(['delete alice', 'put c1:a']);
  });

  it('a page read while the removal ran is not saved even after it ended', async () => {
    const { clock, storage, writer } = setup();
    await writer.beforeRemoval();
    const during = writer.current;
    writer.afterRemoval();
    writer.saw('c1', [row('gone', 1)], during);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    expect(storage.log).toEqual(['delete alice']);
  });

  it('the removal resolves only after the delete is done', async () => {
    const { storage, writer } = setup();
    let release!: () => void;
    storage.hold = new Promise((r) => (release = r));
    let done = false;
    const removal = writer.beforeRemoval().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await removal;
    expect(done).toBe(true);
  });

  it('saves nothing once closed', () => {
    const { clock, storage, writer } = setup();
    writer.saw('c1', [row('a', 1)], writer.current);
    writer.close();
    writer.saw('c1', [row('a', 1)], writer.current);
    clock.advance(SNAPSHOT_SAVE_DELAY_MS);
    expect(storage.log).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
