/** CommitPublisher when the recipient lookup fails: order kept while it is retried, and no event passed by silently. */
import { describe, expect, it } from 'vitest';
import { CommitPublisher } from '../../server/fanout/CommitPublisher';
import type { Hub } from '../../server/fanout/Hub';
import { RecentEvents } from '../../server/fanout/RecentEvents';
import type { CommittedEvent } from '../../server/store/Store';

const event = (cursor: number): CommittedEvent => ({ cursor, conversationId: 'c1', event: { kind: 'receipt', conversationId: 'c1', userId: 'u', receipt: 'read', upToSeq: cursor } });

function recordingHub() {
  const published: number[] = [];
  let missed = 0;
  const hub: Hub = {
    subscribe: () => () => {},
    publish: (_ids, cursor) => void published.push(cursor),
    missedAll: () => void missed++,
  };
  return { hub, published, missed: () => missed };
}

describe('CommitPublisher', () => {
  it('tries a failed lookup again and publishes in cursor order once it answers', async () => {
    const { hub, published, missed } = recordingHub();
    let failures = 2;
    const publisher = new CommitPublisher({
      recipients: async () => {
        if (failures-- > 0) throw new Error('connection terminated');
        return ['u'];
      },
      hub,
      recent: new RecentEvents(16),
      log: () => {},
      retryDelaysMs: [1, 1, 1],
    });
    publisher.committed([event(1), event(2)]);
    publisher.committed([event(3)]);
    await publisher.published();
    expect(published).toEqual([1, 2, 3]);
    expect(missed()).toBe(0);
  });

  it('gives up after its retries and has every socket read the database, then goes on', async () => {
    const { hub, published, missed } = recordingHub();
    const recent = new RecentEvents(16);
    let down = true;
    const publisher = new CommitPublisher({
      recipients: async () => {
        if (down) throw new Error('connection terminated');
        return ['u'];
      },
      hub,
      recent,
      log: () => {},
      retryDelaysMs: [1, 1],
    });
    publisher.committed([event(1)]);
    await publisher.published();
    expect(published).toEqual([]);
    expect(missed()).toBe(1);
    down = false;
    publisher.committed([event(2)]);
    await publisher.published();
    expect(published).toEqual([2]);
    // The ring holds nothing from before the hole: a reader below it goes to the database.
    expect(recent.after('u', 0, 10)).toBeNull();
  });
});
