/** StreamFeed: the whole stream on every node, in order, exactly once, whatever the broker does. */
import { describe, expect, it } from 'vitest';
import { StreamFeed, type StreamSource, type Timers } from '../../server/cluster/StreamFeed';
import type { CommittedEvent } from '../../server/store/Store';

/** The database: events 1..head committed. */
function fakeSource() {
  const committed: CommittedEvent[] = [];
  const reads: [number, number][] = [];
  const source: StreamSource = {
    head: async () => committed.length,
    between: async (after, upTo, limit) => {
      reads.push([after, upTo]);
      return committed.filter((e) => e.cursor > after && e.cursor <= upTo).slice(0, limit);
    },
  };
  const commit = (n: number): CommittedEvent[] => {
    const made: CommittedEvent[] = [];
    for (let i = 0; i < n; i++) {
      const cursor = committed.length + 1;
      const e: CommittedEvent = { cursor, conversationId: 'c1', event: { kind: 'receipt', conversationId: 'c1', userId: 'u', receipt: 'read', upToSeq: cursor } };
      committed.push(e);
      made.push(e);
    }
    return made;
  };
  return { source, commit, reads };
}

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = next++;
      pending.set(id, { fn, ms });
      return id;
    },
    clearTimeout: (id) => void pending.delete(id as number),
  };
  /** Fire the timers armed for `ms` (the gap wait, or the position check). */
  const fire = (ms: number) => {
    for (const [id, t] of [...pending]) {
      if (t.ms !== ms) continue;
      pending.delete(id);
      t.fn();
    }
  };
  return { timers, fire };
}

const settle = () => new Promise((r) => setImmediate(r));

async function started() {
  const db = fakeSource();
  const clock = manualTimers();
  const feed = new StreamFeed({ source: db.source, timers: clock.timers, gapWaitMs: 20, checkMs: 1000 });
  await feed.start();
  const heard: number[] = [];
  feed.onEvents((events) => heard.push(...events.map((e) => e.cursor)));
  return { db, clock, feed, heard };
}

describe('StreamFeed', () => {
  it('delivers this node\'s commits at once and in order, reading nothing', async () => {
    const { db, feed, heard } = await started();
    await feed.local(db.commit(2));
    await feed.local(db.commit(1));
    expect(heard).toEqual([1, 2, 3]);
    expect(db.reads).toEqual([]);
  });

  it('holds a remote event past a gap until the gap arrives, without reading the database', async () => {
    const { db, clock, feed, heard } = await started();
    const [a, b, c] = db.commit(3);
    feed.remote([c!]);
    feed.remote([b!]);
    await settle();
    expect(heard).toEqual([]);
    feed.remote([a!]);
    await settle();
    expect(heard).toEqual([1, 2, 3]);
    clock.fire(20);
    await settle();
    expect(db.reads).toEqual([]);
  });

  it('reads a gap that stays open past the wait from the database, then drops the late copy', async () => {
    const { db, clock, feed, heard } = await started();
    const [a, b] = db.commit(2);
    feed.remote([b!]);
    await settle();
    clock.fire(20);
    await settle();
    expect(heard).toEqual([1, 2]);
    expect(db.reads).toEqual([[0, 1]]);
    feed.remote([a!, b!]);
    await settle();
    expect(heard).toEqual([1, 2]);
    expect(feed.filled).toBe(1);
  });

  it('reads the gap before a local commit at once: the cursors below it are committed', async () => {
    const { db, feed, heard } = await started();
    db.commit(2); // another node's, whose publish was lost
    await feed.local(db.commit(1));
    expect(heard).toEqual([1, 2, 3]);
    expect(db.reads).toEqual([[0, 2]]);
  });

  it('finds commits nobody published at the position check (a node died between commit and publish)', async () => {
    const { db, clock, feed, heard } = await started();
    db.commit(3);
    clock.fire(1000);
    await settle();
    await settle();
    expect(heard).toEqual([1, 2, 3]);
    // The next check is armed, and finds nothing new.
    clock.fire(1000);
    await settle();
    expect(heard).toEqual([1, 2, 3]);
  });

  it('survives a database that does not answer: nothing rejects, and the next check delivers in order', async () => {
    const { db, clock, feed, heard } = await started();
    const between = db.source.between;
    db.source.between = async () => {
      throw new Error('connection terminated');
    };
    db.commit(2); // another node's, unheard
    await expect(feed.local(db.commit(1))).resolves.toBeUndefined();
    expect(heard).toEqual([]);
    db.source.between = between;
    clock.fire(1000);
    await settle();
    await settle();
    expect(heard).toEqual([1, 2, 3]);
  });

  it('starts at the head: what was committed before this node started is not delivered', async () => {
    const db = fakeSource();
    db.commit(5);
    const feed = new StreamFeed({ source: db.source, timers: manualTimers().timers });
    await feed.start();
    const heard: number[] = [];
    feed.onEvents((events) => heard.push(...events.map((e) => e.cursor)));
    feed.remote(db.commit(1));
    await settle();
    expect(heard).toEqual([6]);
    expect(feed.position).toBe(6);
  });

  it('drops what it holds past its bound and reads the stream from the database instead', async () => {
    const db = fakeSource();
    const clock = manualTimers();
    const feed = new StreamFeed({ source: db.source, timers: clock.timers, maxHeld: 3 });
    await feed.start();
    const heard: number[] = [];
    feed.onEvents((events) => heard.push(...events.map((e) => e.cursor)));
    const events = db.commit(6);
    for (const e of events.slice(1)) feed.remote([e]);
    await settle();
    await settle();
    expect(heard).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
