/** LocalStore.rollback: back to what a server that lost history still holds, in one transaction. */
import { describe, expect, it } from 'vitest';
import { BOB, C1, C2, conversationPush, enqueueText, info, messagePush, msg, openStore, receiptPush, sentCopy } from './harness';

const EPOCH = '0123456789abcdef';

describe('LocalStore.rollback', () => {
  it('requeues own messages above the kept seq ahead of queued ones, drops others above it, and lowers the positions', async () => {
    const o = await openStore();
    const own3 = await enqueueText(o, 'own 3');
    const own5 = await enqueueText(o, 'own 5');
    await o.store.markSent(own3.id, sentCopy(own3, 3));
    await o.store.markSent(own5.id, sentCopy(own5, 5));
    await o.store.ingest([messagePush(10, msg(1)), messagePush(11, msg(2)), messagePush(12, msg(4)), receiptPush(13, BOB, 'read', 5)]);
    await o.store.markRead(C1, 5);
    const queued = await enqueueText(o, 'typed offline');

    const result = await o.store.rollback({ cursor: 11, epoch: EPOCH, kept: new Map([[C1, 2]]) });
    expect(result).toEqual({ requeued: 2, dropped: 1, conversations: [C1] });
    expect(await o.store.getCursor()).toBe(11);
    expect(await o.store.getEpoch()).toBe(EPOCH);
    const latest = await o.store.latest(C1, 10);
    expect(latest.map((m) => [(m.content as { text: string }).text, m.seq, m.state])).toEqual([
      ['message 1', 1, 'received'],
      ['message 2', 2, 'received'],
      ['own 3', null, 'pending'],
      ['own 5', null, 'pending'],
      ['typed offline', null, 'pending'],
    ]);
    // The outbox sends the lost ones first, in their old order, then what was queued.
    expect((await o.store.queuedRun(C1, 10)).map((i) => i.messageId)).toEqual([own3.id, own5.id, queued.id]);
    expect(await o.store.conversation(C1)).toMatchObject({ lastSeq: 2, readSeq: 2 });
    expect(await o.store.contiguousSeq(C1)).toBe(2);
    expect(await o.store.receipts(C1)).toEqual([{ memberId: BOB, deliveredSeq: 2, readSeq: 2 }]);
    // New messages at the lost seqs are stored, not taken for duplicates.
    const fresh = msg(3, { text: 'new at seq 3' });
    expect((await o.store.ingest([messagePush(12, fresh)])).stored).toEqual([fresh]);
  });

  it('removes a conversation the server no longer knows, unless own unsent messages remain in it', async () => {
    const o = await openStore();
    await o.store.ingest([conversationPush(1, info(C1)), messagePush(2, msg(1)), conversationPush(3, info(C2)), messagePush(4, msg(1, { conversationId: C2 }))]);
    const mine = await enqueueText(o, 'still mine', C2);
    const result = await o.store.rollback({ cursor: 0, epoch: EPOCH, kept: new Map() });
    expect(result.conversations.sort()).toEqual([C1, C2]);
    expect(await o.store.conversation(C1)).toBeNull();
    expect(await o.store.conversation(C2)).toMatchObject({ lastSeq: 0 });
    expect((await o.store.latest(C2, 10)).map((m) => m.id)).toEqual([mine.id]);
  });

  it('changes nothing when the server kept everything the device holds', async () => {
    const o = await openStore();
    await o.store.ingest([messagePush(10, msg(1)), messagePush(11, msg(2))]);
    const result = await o.store.rollback({ cursor: 11, epoch: EPOCH, kept: new Map([[C1, 2]]) });
    expect(result).toEqual({ requeued: 0, dropped: 0, conversations: [] });
    expect((await o.store.latest(C1, 10)).map((m) => m.seq)).toEqual([1, 2]);
  });
});
