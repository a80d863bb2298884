/** diagnostics(): what a support page shows of the local database. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../schema';
import { C1, enqueueText, messagePush, openStore, sentCopy } from './harness';

describe('LocalStore diagnostics', () => {
  it('lists the outbox with each last error, the stored cursor and where each conversation stands', async () => {
    const o = await openStore();
    const sent = await enqueueText(o, 'accepted');
    const stuck = await enqueueText(o, 'refused');
    const waiting = await enqueueText(o, 'waiting');
    await o.store.ingest([messagePush(7, sentCopy(sent, 1))]);
    await o.store.markFailed(stuck.id, { code: ErrorCode.FORBIDDEN, message: 'not a member' });
    await o.store.markRetry(waiting.id, { code: ErrorCode.REQUEST_TIMEOUT, message: 'no answer' }, 5_000);
    await o.store.markRead(C1, 1);

    const d = await o.store.diagnostics();
    expect(d.cursor).toBe(7);
    expect(d.outboxTotal).toBe(2);
    expect(d.outbox).toEqual([
      { messageId: stuck.id, conversationId: C1, status: 'failed', attempts: 0, error: 'FORBIDDEN: not a member' },
      { messageId: waiting.id, conversationId: C1, status: 'queued', attempts: 1, error: 'REQUEST_TIMEOUT: no answer' },
    ]);
    expect(d.conversations).toEqual([{ id: C1, lastSeq: 1, contiguousSeq: 1, readSeq: 1 }]);
  });
});
