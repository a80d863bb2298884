import { describe, expect, it } from 'vitest';
import type { HeadEntry, Member } from '../../../schema';
import { BOB, C1, C2, enqueueText, messagePush, ME, msg, openStore, sentCopy, view } from './harness';

const member = (id: string, deliveredSeq: number, readSeq: number): Member => ({ id, kind: 'user', role: 'customer', displayName: id, deliveredSeq, readSeq });
const seqs = (ms: { seq: number | null }[]) => ms.map((m) => m.seq);

describe('LocalStore: starting at the head', () => {
  it('stores the head cursor and marks the head to load, keeping what was stored', async () => {
    const o = await openStore();
    await o.store.ingest([messagePush(3, msg(1))]);
    expect(await o.store.headPending()).toBe(false);
    await o.store.startAtHead({ cursor: 900, epoch: 'bbbbbbbbbbbbbbbb' });
    expect(await o.store.resumePoint()).toEqual({ initialCursor: 900, initialEpoch: 'bbbbbbbbbbbbbbbb' });
    expect(await o.store.headPending()).toBe(true);
    expect(seqs(await o.store.latest(C1, 10))).toEqual([1]);
  });

  it('stores pages of the head: views with unread counts, latest messages, receipts that settle own messages; the last page clears the marker', async () => {
    const o = await openStore();
    await o.store.startAtHead({ cursor: 900, epoch: 'bbbbbbbbbbbbbbbb' });
    const mine = sentCopy({ id: 'own-1', conversationId: C1, content: { type: 'text', text: 'mine' } }, 41);
    const c1: HeadEntry = {
      conversation: view(C1, { lastSeq: 42, readSeq: 41, unread: 1, lastActivityAt: 5 }),
      messages: [msg(40), mine, msg(42)],
      members: [member(ME, 41, 41), member(BOB, 41, 40)],
    };
    const first = await o.store.storeHeadPage([c1], false);
    expect(first.changedConversations).toContain(C1);
    // A latest page is history, not a gap: nothing to fill before seq 40.
    expect(first.gaps).toEqual([]);
    expect(await o.store.headPending()).toBe(true);
    const list = await o.store.conversationList(10, 0);
    expect(list).toEqual([expect.objectContaining({ id: C1, lastSeq: 42, readSeq: 41, unread: 1 })]);
    const latest = await o.store.latest(C1, 10);
    expect(seqs(latest)).toEqual([40, 41, 42]);
    // Bob's receipts say he had it: own message 41 is delivered, not merely sent.
    expect(latest.find((m) => m.id === 'own-1')?.state).toBe('delivered');

    const c2: HeadEntry = { conversation: view(C2, { lastSeq: 2, readSeq: 0, unread: 2 }), messages: [msg(1, { conversationId: C2 }), msg(2, { conversationId: C2 })], members: [] };
    await o.store.storeHeadPage([c2], true);
    expect(await o.store.headPending()).toBe(false);
    expect(await o.store.historyComplete(C2)).toBe(true);
    expect(await o.store.historyComplete(C1)).toBe(false);
  });

  it('a page stored twice (a head load cut short and run again) changes nothing the second time', async () => {
    const o = await openStore();
    await o.store.startAtHead({ cursor: 900, epoch: 'bbbbbbbbbbbbbbbb' });
    const entry: HeadEntry = { conversation: view(C1, { lastSeq: 2, readSeq: 1, unread: 1 }), messages: [msg(1), msg(2)], members: [member(BOB, 2, 2)] };
    await o.store.storeHeadPage([entry], false);
    const again = await o.store.storeHeadPage([entry], true);
    expect(again.stored).toEqual([]);
    expect(again.changedConversations).toEqual([]);
    expect(seqs(await o.store.latest(C1, 10))).toEqual([1, 2]);
  });

  it("settles an own message queued before the head loaded, when the head holds the server's copy of it", async () => {
    const o = await openStore();
    const local = await enqueueText(o, 'typed offline');
    await o.store.startAtHead({ cursor: 900, epoch: 'bbbbbbbbbbbbbbbb' });
    const copy = sentCopy(local, 7);
    await o.store.storeHeadPage([{ conversation: view(C1, { lastSeq: 7, readSeq: 7 }), messages: [msg(6), copy], members: [] }], true);
    const latest = await o.store.latest(C1, 10);
    expect(latest.map((m) => [m.seq, m.state])).toEqual([
      [6, 'received'],
      [7, 'sent'],
    ]);
    expect(await o.store.pendingCount()).toBe(0);
  });

  it('after a head over older stored messages, reports the gap between them so it is filled', async () => {
    const o = await openStore();
    await o.store.ingest([messagePush(1, msg(1)), messagePush(2, msg(2))]);
    await o.store.startAtHead({ cursor: 900, epoch: 'bbbbbbbbbbbbbbbb' });
    const result = await o.store.storeHeadPage([{ conversation: view(C1, { lastSeq: 30 }), messages: [msg(29), msg(30)], members: [] }], true);
    expect(result.gaps).toEqual([{ conversationId: C1, afterSeq: 2, beforeSeq: 29 }]);
  });
});
