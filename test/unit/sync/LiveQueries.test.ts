/**
 * Shared live queries: one run and one result per distinct query, patches to subscribers, and
 * messages previewed before their commit. The query runner is a fake whose runs the test finishes
 * by hand, so "a run that started before the commit" is a step in the test, not a race.
 */
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../../schema/livePatch';
import type { LiveQuery, LiveResult, LiveUpdate, LocalMessage } from '../../../worker/protocol';
import { LiveQueries } from '../../../worker/sync/LiveQueries';
import { fakePlatform } from '../../support/fakePlatform';
import { receivedMessage } from '../../support/localMessage';

const msg = (seq: number | null, id = `m${seq}`, over: Partial<LocalMessage> = {}): LocalMessage => receivedMessage(id, seq, over);

/** The database as the fake runner sees it, and the runs waiting to be finished. */
function harness() {
  const fake = fakePlatform();
  let rows: LocalMessage[] = [];
  const pending: (() => void)[] = [];
  let runs = 0;
  const live = new LiveQueries(
    (q: LiveQuery) =>
      new Promise<LiveResult>((resolve) => {
        runs++;
        // What the store holds when the run starts is what it returns (it reads committed data).
        const snapshot = rows.slice(-(q.kind === 'messages' ? q.limit : 50));
        pending.push(() => resolve(q.kind === 'messages' ? { kind: 'messages', conversationId: q.conversationId, messages: snapshot } : { kind: 'conversations', conversations: [] }));
      }),
    fake.platform,
  );
  const finishRuns = async () => {
    while (pending.length > 0) pending.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  };
  /** A subscriber that records its updates and the rows it holds. */
  const subscriber = (owner: string, query: LiveQuery = { kind: 'messages', conversationId: 'c1', limit: 3 }) => {
    const updates: LiveUpdate[] = [];
    let held: LocalMessage[] = [];
    const id = live.add(owner, query, (u) => {
      updates.push(u);
      held = u.type === 'result' ? (u.result.kind === 'messages' ? u.result.messages : []) : applyPatch(held, u.patch);
    });
    return { id, updates, held: () => held, texts: () => held.map((m) => m.id) };
  };
  return {
    fake,
    live,
    finishRuns,
    subscriber,
    setRows: (r: LocalMessage[]) => void (rows = r),
    get runs() {
      return runs;
    },
  };
}

describe('LiveQueries', () => {
  it('runs a query once for every tab that watches it, and gives a later tab the held result without a run', async () => {
    const h = harness();
    h.setRows([msg(1), msg(2)]);
    const a = h.subscriber('tab-a');
    const b = h.subscriber('tab-b');
    await h.finishRuns();
    expect(h.runs).toBe(1);
    expect(a.texts()).toEqual(['m1', 'm2']);
    expect(b.texts()).toEqual(['m1', 'm2']);
    const c = h.subscriber('tab-c');
    await h.finishRuns();
    expect(h.runs).toBe(1);
    expect(c.updates).toEqual([{ type: 'result', result: { kind: 'messages', conversationId: 'c1', messages: [msg(1), msg(2)] } }]);
    expect(h.live.stats()).toEqual({ queries: 1, listeners: 3, runs: 1 });
  });

  it('sends a change as a patch of the changed row only, the same to every tab', async () => {
    const h = harness();
    const own = (state: LocalMessage['state']) => msg(2, 'mine', { senderId: 'me', state });
    h.setRows([msg(1), own('sent')]);
    const a = h.subscriber('tab-a');
    const b = h.subscriber('tab-b');
    await h.finishRuns();
    h.setRows([msg(1), own('read')]);
    h.live.changed(['c1']);
    h.fake.clock.advance(10);
    await h.finishRuns();
    expect(h.runs).toBe(2);
    expect(a.updates.at(-1)).toEqual({ type: 'patch', patch: { upsert: [own('read')], remove: [] } });
    expect(b.updates.at(-1)).toEqual(a.updates.at(-1));
    expect(b.held()).toEqual([msg(1), own('read')]);
  });

  it('coalesces a burst of changes into one run', async () => {
    const h = harness();
    h.subscriber('tab-a');
    await h.finishRuns();
    for (let i = 0; i < 5; i++) h.live.changed(['c1']);
    h.fake.clock.advance(10);
    await h.finishRuns();
    expect(h.runs).toBe(2);
  });

  it('shows a previewed message at once, keeps it through a run that started before its commit, and replaces it after', async () => {
    const h = harness();
    h.setRows([msg(1), msg(2)]);
    const a = h.subscriber('tab-a');
    await h.finishRuns();
    // A change is being re-read (the run starts before the push's commit)...
    h.live.changed(['c1']);
    h.fake.clock.advance(10);
    // ...when the push arrives: shown now, marked unstored.
    h.live.preview([msg(3)]);
    expect(a.texts()).toEqual(['m1', 'm2', 'm3']);
    expect(a.held()[2]!.unstored).toBe(true);
    // The commit ends; the old run finishes without m3: the view keeps it.
    h.setRows([msg(1), msg(2), msg(3)]);
    h.live.settled(['c1']);
    await h.finishRuns();
    expect(a.texts()).toEqual(['m1', 'm2', 'm3']);
    // The run after the commit replaces the preview with the stored row.
    h.fake.clock.advance(10);
    await h.finishRuns();
    expect(a.held()).toEqual([msg(1), msg(2), msg(3)]);
    expect(a.updates.at(-1)).toEqual({ type: 'patch', patch: { upsert: [msg(3)], remove: [] } });
  });

  it('puts a preview above unsent own messages and keeps the page at its limit', async () => {
    const h = harness();
    const unsent = msg(null, 'draft', { senderId: 'me', state: 'pending' });
    h.setRows([msg(1), msg(2), unsent]);
    const a = h.subscriber('tab-a');
    await h.finishRuns();
    h.live.preview([msg(3)]);
    expect(a.texts()).toEqual(['m2', 'm3', 'draft']);
    expect(a.updates.at(-1)).toEqual({
      type: 'patch',
      patch: { upsert: [{ ...msg(3), unstored: true }], remove: ['bob\u0000m1'], order: ['bob\u0000m2', 'bob\u0000m3', 'me\u0000draft'] },
    });
  });

  it('drops a preview whose commit failed once a later run shows it absent', async () => {
    const h = harness();
    h.setRows([msg(1)]);
    const a = h.subscriber('tab-a');
    await h.finishRuns();
    h.live.preview([msg(2)]);
    h.live.settled(['c1']);
    h.fake.clock.advance(10);
    await h.finishRuns();
    expect(a.texts()).toEqual(['m1']);
  });

  it('takes a preview out at once when its commit failed, even while runs keep failing', async () => {
    const h = harness();
    h.setRows([msg(1)]);
    const a = h.subscriber('tab-a');
    await h.finishRuns();
    h.live.preview([msg(2)]);
    expect(a.texts()).toEqual(['m1', 'm2']);
    h.live.settled(['c1'], false);
    expect(a.texts()).toEqual(['m1']);
  });

  it('forgets a query when its last tab leaves, and a tab that left gets nothing more', async () => {
    const h = harness();
    const a = h.subscriber('tab-a');
    const b = h.subscriber('tab-b');
    await h.finishRuns();
    h.live.removeOwner('tab-a');
    h.live.preview([msg(5)]);
    expect(a.updates).toHaveLength(1);
    expect(b.updates).toHaveLength(2);
    h.live.remove(b.id);
    expect(h.live.stats().queries).toBe(0);
  });
});
