/** Recall and delete-for-me in the local database: placeholders that stick, and search that forgets. */
import { describe, expect, it } from 'vitest';
import { BOB, C1, messagePush, msg, openStore } from './harness';

const recallPush = (cursor: number, m: { id: string; seq: number; senderId: string }) => ({
  cursor,
  event: { kind: 'recall' as const, conversationId: C1, senderId: m.senderId, messageId: m.id, seq: m.seq },
});

describe('LocalStore: recalled and deleted messages', () => {
  it('replaces a message when its recall is pushed, reports it changed, and search forgets its text', async () => {
    const o = await openStore();
    const m = msg(1, { text: 'my phone is 555-0199' });
    await o.store.ingest([messagePush(10, m)]);
    expect(await o.store.search('555-0199', 10)).toHaveLength(1);
    const result = await o.store.ingest([recallPush(11, m)]);
    expect(result.changedMessages).toEqual([{ conversationId: C1, id: m.id }]);
    expect((await o.store.latest(C1, 10)).map((x) => x.content)).toEqual([{ type: 'recalled' }]);
    expect(await o.store.search('555-0199', 10)).toEqual([]);
  });

  it('takes the recall from a page for a message stored before, and a page never brings back the text', async () => {
    const o = await openStore();
    const m = msg(1, { text: 'secret' });
    await o.store.storeMessages(C1, [m]);
    await o.store.storeMessages(C1, [{ ...m, content: { type: 'recalled' } }]);
    expect((await o.store.latest(C1, 10))[0]!.content).toEqual({ type: 'recalled' });
    await o.store.storeMessages(C1, [m]);
    expect((await o.store.latest(C1, 10))[0]!.content).toEqual({ type: 'recalled' });
  });

  it('keeps a message deleted for me deleted through pages, pushes and a later recall', async () => {
    const o = await openStore();
    const m = msg(1, { text: 'delete me' });
    await o.store.ingest([messagePush(10, m)]);
    expect(await o.store.deleteForMe(BOB, m.id)).toBe(C1);
    expect(await o.store.deleteForMe(BOB, m.id)).toBeNull();
    await o.store.storeMessages(C1, [m]);
    await o.store.ingest([messagePush(11, m), recallPush(12, m)]);
    expect((await o.store.latest(C1, 10)).map((x) => x.content)).toEqual([{ type: 'deleted' }]);
    expect(await o.store.search('delete', 10)).toEqual([]);
  });
});
