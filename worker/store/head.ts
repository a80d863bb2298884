/**
 * Starting at the server's head instead of replaying its stream (auth_ok's `rebuild`): a new device,
 * or one away longer than the server keeps its stream. The cursor moves to the head at once, and a
 * marker says the head is still to load; the head's pages (conversations, their latest messages,
 * members' receipts) are stored as they come, the last one removing the marker. A device that
 * stops halfway finds the marker at its next connect and loads the head again: every page is
 * stored idempotently, and nothing already stored is removed.
 */
import type { HeadEntry } from '../../schema';
import { MetaKey } from '../../schema/local/migrations';
import { applyReceipt, Changes, putPage, upsertConversation } from './inbox';
import { getMeta, setMeta, type StoreContext } from './rows';
import type { SqlExecutor } from './SqlDriver';
import type { IngestResult } from './types';

/** The stream restarts after `cursor` under `epoch`; the head is marked to load. */
export async function startAtHead(tx: SqlExecutor, to: { cursor: number; epoch: string }): Promise<void> {
  await setMeta(tx, MetaKey.CURSOR, String(to.cursor));
  await setMeta(tx, MetaKey.EPOCH, to.epoch);
  await setMeta(tx, MetaKey.HEAD_PENDING, String(to.cursor));
}

/** True while a head the server asked for is not all stored. */
export async function headPending(db: SqlExecutor): Promise<boolean> {
  return (await getMeta(db, MetaKey.HEAD_PENDING)) !== null;
}

/**
 * One page of the head, in one transaction: each conversation's view (positions only rise), its
 * members' receipts, then its latest messages, which take their state from those receipts. `last`:
 * the head is all stored, and the marker goes in the same transaction.
 */
export async function storeHeadPage(tx: SqlExecutor, ctx: StoreContext, entries: readonly HeadEntry[], last: boolean): Promise<IngestResult> {
  const changes = new Changes();
  for (const { conversation, messages, members } of entries) {
    if (await upsertConversation(tx, conversation, conversation.readSeq)) changes.conversation(conversation.id);
    for (const member of members) {
      const receipt = { kind: 'receipt', conversationId: conversation.id, userId: member.id } as const;
      if (member.deliveredSeq > 0) await applyReceipt(tx, ctx, { ...receipt, receipt: 'delivered', upToSeq: member.deliveredSeq }, changes);
      if (member.readSeq > 0) await applyReceipt(tx, ctx, { ...receipt, receipt: 'read', upToSeq: member.readSeq }, changes);
    }
    await putPage(tx, ctx, conversation.id, messages, changes);
  }
  if (last) await tx.run('DELETE FROM meta WHERE key = ?', [MetaKey.HEAD_PENDING]);
  return changes.finish(tx);
}
