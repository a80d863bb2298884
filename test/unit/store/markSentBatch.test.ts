import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError, type Message } from '../../../schema';
import type { LocalMessage } from '../../../worker/store/types';
import { BOB, C1, C2, enqueueText, ME, messagePush, msg, openStore, receiptPush, sentCopy, type Opened } from './harness';

/** `n` own texts enqueued in C1, and the server's copies of them at seqs from `firstSeq`. */
async function queued(o: Opened, n: number, firstSeq = 1): Promise<{ local: LocalMessage[]; sent: Message[] }> {
  const local: LocalMessage[] = [];
  for (let i = 0; i < n; i++) local.push(await enqueueText(o, `m${i}`));
  return { local, sent: local.map((m, i) => sentCopy(m, firstSeq + i)) };
}

/** What a tab can see of the outcome: messages, queue, positions. */
async function outcome(o: Opened) {
  return {
    messages: await o.store.latest(C1, 500),
    pending: await o.store.pendingCount(),
    next: await o.store.nextBatch(Number.MAX_SAFE_INTEGER, 10),
    contiguous: await o.store.contiguousSeq(C1),
    conversation: await o.store.conversation(C1),
  };
}

/**
 * The same scenario twice: settled one message at a time, and as one batch. Both must end in the
 * same state; the batch's result is returned for the test to check.
 */
async function bothWays(n: number, scenario: (o: Opened, sent: Message[], local: LocalMessage[]) => Promise<Message[]>, firstSeq = 1) {
  const one = await openStore();
  const batch = await openStore();
  const a = await queued(one, n, firstSeq);
  const b = await queued(batch, n, firstSeq);
  // Same ids on both sides, so the two outcomes compare equal.
  const ids = new Map(b.local.map((m, i) => [m.id, a.local[i]!.id]));
  const toSent = await scenario(one, a.sent, a.local);
  for (const m of toSent) await one.store.markSent(m.id, m);
  const batchSent = await scenario(batch, b.sent, b.local);
  const result = await batch.store.markSentBatch(C1, batchSent);
  const rename = <T>(v: T): T => JSON.parse(JSON.stringify(v).replace(/[0-9a-f-]{36}/g, (id) => ids.get(id) ?? id)) as T;
  expect(rename(await outcome(batch))).toEqual(await outcome(one));
  return { result, batch, sent: b.sent };
}

describe('LocalStore.markSentBatch', () => {
  it('settles a batch like one markSent after another: seqs, states, outbox, positions', async () => {
    const { result, batch, sent } = await bothWays(5, async (_o, sent) => sent);
    expect(await batch.store.pendingCount()).toBe(0);
    expect((await batch.store.latest(C1, 10)).map((m) => [m.seq, m.state])).toEqual([1, 2, 3, 4, 5].map((s) => [s, 'sent']));
    expect(result.changedMessages).toEqual(sent.map((m) => ({ conversationId: C1, id: m.id })));
    expect(result.stored).toEqual(sent);
    expect(result.delivered).toEqual([{ conversationId: C1, upToSeq: 5 }]);
    expect(result.gaps).toEqual([]);
  });

  it('keeps the states receipts raised before the answer came', async () => {
    const { batch } = await bothWays(4, async (o, sent) => {
      await o.store.ingest([receiptPush(1, BOB, 'delivered', 3), receiptPush(2, BOB, 'read', 1)]);
      return sent;
    });
    expect((await batch.store.latest(C1, 10)).map((m) => m.state)).toEqual(['read', 'delivered', 'delivered', 'sent']);
  });

  it('leaves what a push stored first as the push left it, receipt included, and settles the rest', async () => {
    const { result, batch, sent } = await bothWays(3, async (o, sent) => {
      // The push of the second beat the answer, and BOB read it.
      await o.store.ingest([messagePush(1, sent[1]!), receiptPush(2, BOB, 'read', 2)]);
      return sent;
    });
    expect((await batch.store.latest(C1, 10)).map((m) => [m.seq, m.state])).toEqual([
      [1, 'read'],
      [2, 'read'],
      [3, 'sent'],
    ]);
    expect(result.changedMessages.map((c) => c.id)).toEqual([sent[0]!.id, sent[2]!.id]);
    expect(await batch.store.pendingCount()).toBe(0);
  });

  it('reports the gap before its seqs and delivers nothing past the hole', async () => {
    const { result } = await bothWays(
      3,
      async (o, sent) => {
        await o.store.ingest([messagePush(1, msg(1, { id: 'bob-1' })), messagePush(2, msg(2, { id: 'bob-2' }))]);
        return sent;
      },
      5,
    );
    expect(result.gaps).toEqual([{ conversationId: C1, afterSeq: 2, beforeSeq: 5 }]);
    expect(result.delivered).toEqual([]);
  });

  it('stores again a message deleted here while its send was in flight', async () => {
    const { result, batch, sent } = await bothWays(3, async (o, sent, local) => {
      await o.store.deletePending(local[1]!.id);
      return sent;
    });
    expect((await batch.store.latest(C1, 10)).map((m) => [m.id, m.seq, m.state])).toEqual(sent.map((m) => [m.id, m.seq, 'sent']));
    expect(result.stored.map((m) => m.id)).toEqual(sent.map((m) => m.id));
  });

  it('settles a batch of 100 in a few statements, not a dozen per message', async () => {
    const o = await openStore();
    const { sent } = await queued(o, 100);
    o.statements.length = 0;
    await o.store.markSentBatch(C1, sent);
    expect(o.statements.length).toBeLessThan(20);
    expect(await o.store.pendingCount()).toBe(0);
  });

  it('refuses a message that is not own or not of the conversation, and writes nothing', async () => {
    const o = await openStore();
    const { sent } = await queued(o, 2);
    const other = await o.store.markSentBatch(C1, [sent[0]!, { ...sent[1]!, senderId: BOB }]).catch((e: unknown) => e);
    expect(ParleyError.is(other, ErrorCode.INVALID_PARAMS)).toBe(true);
    const elsewhere = await o.store.markSentBatch(C2, sent).catch((e: unknown) => e);
    expect(ParleyError.is(elsewhere, ErrorCode.INVALID_PARAMS)).toBe(true);
    expect(await o.store.pendingCount()).toBe(2);
    expect((await o.store.latest(C1, 10)).every((m) => m.senderId === ME && m.seq === null)).toBe(true);
  });
});
