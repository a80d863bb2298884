/**
 * The local database of one user: what they send waits here until the server has it, what the
 * server pushes is stored here before it is acked, and every tab reads from here. One instance per
 * database, owned by the worker's engine.
 *
 * Every write goes through a {@link GroupCommit}: it is atomic, it is durable when its promise
 * resolves, and a burst of writes shares one transaction. Reads go straight to the driver and see
 * only committed data; a read may run beside a write transaction (wa-sqlite's read-only connection),
 * so what must come from one snapshot is read in one statement.
 */
import { readDiagnostics, type StoreDiagnostics } from './diagnostics';
import type { Content, ConversationView, HeadEntry, Message } from '../../schema';
import type { LocalFile, PendingUpload } from '../media/types';
import { GroupCommit } from './GroupCommit';
import * as head from './head';
import * as inbox from './inbox';
import * as media from './media';
import { claim, migrate } from './migrate';
import * as outbox from './outbox';
import * as queries from './queries';
import * as redaction from './redaction';
import * as deskOutbox from './deskOutbox';
import { rollback, type RollbackInput, type RollbackResult } from './rollback';
import type { StoreContext } from './rows';
import type { SqlDriver, StorageDurability } from './SqlDriver';
import type { IngestResult, LocalConversation, LocalMessage, MemberReceipt, OutboxItem, PushRecord } from './types';

export type { EnqueueInput, SendError } from './outbox';

export interface LocalStoreOptions {
  /** The signed-in user: the database's owner, and the sender of own messages. */
  userId: string;
  /**
   * Other ids that are "me" as a conversation member: a merchant's shop. A read receipt from one of
   * them is my read on another device or by another agent of my shop.
   */
  partyIds?: readonly string[];
  /** Clock, ms since the epoch (injected so tests control it). */
  now: () => number;
  /** Most writes sharing one transaction. Default 500. */
  maxBatch?: number;
  /** Told of every change to the set of unsent messages (an encrypted database keeps a tally outside). */
  outboxWatch?: OutboxWatch;
}

/** Sees the outbox change: before a message is stored, once that settled, and after sends leave it. */
export interface OutboxWatch {
  beforeEnqueue(): Promise<void>;
  enqueueSettled(): void;
  changed(): void;
}

export class LocalStore {
  private constructor(
    private readonly driver: SqlDriver,
    private readonly ctx: StoreContext,
    private readonly writes: GroupCommit,
    private readonly watch: OutboxWatch | null,
  ) {}

  /**
   * Migrates the database to this build's schema and binds it to `userId`. The store then owns the
   * driver (its {@link close} closes it); if open fails, the caller still does.
   * @throws ParleyError FORBIDDEN when the database belongs to another user; INTERNAL when it was
   * written by a newer build.
   */
  static async open(driver: SqlDriver, options: LocalStoreOptions): Promise<LocalStore> {
    await migrate(driver);
    await claim(driver, options.userId);
    const me = [options.userId, ...(options.partyIds ?? []).filter((id) => id !== options.userId)];
    const ctx: StoreContext = { userId: options.userId, me, now: options.now };
    const writes = new GroupCommit(driver, options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch });
    return new LocalStore(driver, ctx, writes, options.outboxWatch ?? null);
  }

  /** The user this database belongs to: the sender of own messages. */
  get userId(): string {
    return this.ctx.userId;
  }

  get durability(): StorageDurability {
    return this.driver.durability;
  }

  // ---- Send path ---------------------------------------------------------------------------------

  /**
   * Stores an own message as pending together with its outbox row, in one transaction: both or
   * neither. Call before any network I/O. CONFLICT if this id is already used.
   */
  enqueue(input: outbox.EnqueueInput): Promise<LocalMessage> {
    const watch = this.watch;
    if (!watch) return this.writes.submit((tx) => outbox.enqueue(tx, this.ctx, input));
    return watch.beforeEnqueue().then(() => this.writes.submit((tx) => outbox.enqueue(tx, this.ctx, input)).finally(() => watch.enqueueSettled()));
  }

  /**
   * Up to `limit` messages to send at `now` (ms): the oldest queued message of each conversation,
   * if due, oldest first. Sending one at a time per conversation keeps the conversation's order;
   * the caller skips conversations whose head is already in flight.
   */
  nextBatch(now: number, limit: number): Promise<OutboxItem[]> {
    return outbox.nextBatch(this.driver, this.ctx, now, limit);
  }

  /**
   * The conversation's queued messages in send order, at most `limit` (for one batch): from its
   * head, or after `afterOrderKey` (the next batch while the previous one is still being settled).
   */
  queuedRun(conversationId: string, limit: number, afterOrderKey?: number): Promise<OutboxItem[]> {
    return outbox.queuedRun(this.driver, this.ctx, conversationId, limit, afterOrderKey);
  }

  /**
   * The send succeeded: pending → sent with the server's seq and serverTs, outbox row removed. A
   * state a receipt already raised is kept, and a push of the message stored first is fine.
   * Returns what changed, like {@link ingest} (the seq may close a gap: see `delivered`).
   */
  markSent(id: string, message: Message): Promise<IngestResult> {
    return this.#outboxChange(this.writes.submit((tx) => outbox.markSent(tx, this.ctx, id, message)));
  }

  /**
   * {@link markSent} for the stored messages of one batch of a conversation, in order, in one
   * write of a few statements. INVALID_PARAMS (nothing written) if one is not an own message of it.
   */
  markSentBatch(conversationId: string, messages: readonly Message[]): Promise<IngestResult> {
    return this.#outboxChange(this.writes.submit((tx) => outbox.markSentBatch(tx, this.ctx, conversationId, messages)));
  }

  /** A retryable send failure: attempts + 1, next try at `nextAttemptAt` (ms). False if it is no longer queued. */
  markRetry(id: string, error: outbox.SendError, nextAttemptAt: number): Promise<boolean> {
    return this.writes.submit((tx) => outbox.markRetry(tx, this.ctx, id, error, nextAttemptAt));
  }

  /** A permanent send failure: the message is failed with `error` until {@link resend}. False unless it was pending. */
  markFailed(id: string, error: outbox.SendError): Promise<boolean> {
    return this.writes.submit((tx) => outbox.markFailed(tx, this.ctx, id, error));
  }

  /** failed → pending, due now, attempts reset. NOT_FOUND if there is no such own message, CONFLICT unless failed. */
  resend(id: string): Promise<LocalMessage> {
    return this.writes.submit((tx) => outbox.resend(tx, this.ctx, id));
  }

  /**
   * Deletes an own pending or failed message and its outbox row; returns it as it was. NOT_FOUND if
   * absent, CONFLICT once the server stored it. A send already in flight may still succeed, and the
   * server's copy is then stored again.
   */
  deletePending(id: string): Promise<LocalMessage> {
    return this.#outboxChange(this.writes.submit((tx) => outbox.deletePending(tx, this.ctx, id)));
  }

  #outboxChange<T>(write: Promise<T>): Promise<T> {
    if (this.watch) void write.then(() => this.watch?.changed(), () => {});
    return write;
  }

  /** The sender recalled the message (the server said so): its conversation, or null if nothing changed. */
  recalled(senderId: string, id: string): Promise<string | null> {
    return this.writes.submit((tx) => redaction.applyRecall(tx, senderId, id));
  }

  /** This user deleted a stored message on this device: its conversation, or null if nothing changed. */
  deleteForMe(senderId: string, id: string): Promise<string | null> {
    return this.writes.submit((tx) => redaction.deleteForMe(tx, senderId, id));
  }

  /** Keep a desk action until the server applied it; false when MAX_DESK_ACTIONS are queued already. */
  queueDeskAction(action: deskOutbox.DeskAction): Promise<boolean> {
    return this.writes.submit((tx) => deskOutbox.queueDeskAction(tx, action));
  }

  /** Desk actions not yet applied by the server, oldest first. */
  deskActions(): Promise<deskOutbox.DeskAction[]> {
    return deskOutbox.deskActions(this.driver);
  }

  removeDeskAction(actionId: string): Promise<void> {
    return this.writes.submit((tx) => deskOutbox.removeDeskAction(tx, actionId));
  }

  /** The connection is back: queued messages waiting for a retry are due now. Returns how many. */
  retryNow(): Promise<number> {
    return this.writes.submit((tx) => outbox.retryNow(tx));
  }

  /** Messages the server has not accepted yet, failed ones included: what a wipe would drop. */
  unsentCount(): Promise<number> {
    return outbox.unsentCount(this.driver);
  }

  /** Messages queued to send (failed ones excluded: they wait for a resend). */
  pendingCount(): Promise<number> {
    return outbox.pendingCount(this.driver);
  }

  // ---- Media files of unsent messages ----------------------------------------------------------

  /** An unsent message's files (without bytes), in stored order; empty for a text message. */
  uploadsOf(messageId: string): Promise<PendingUpload[]> {
    return media.uploadsOf(this.driver, messageId);
  }

  /** A stored file's bytes and type (to upload it, or to show it before it is sent); null once gone. */
  localFile(uploadId: string): Promise<LocalFile | null> {
    return media.localFile(this.driver, uploadId);
  }

  /** The server has this file at `url`. False if it is gone (its message was deleted). */
  setUploadUrl(uploadId: string, url: string): Promise<boolean> {
    return this.writes.submit((tx) => media.setUploadUrl(tx, uploadId, url));
  }

  /** All files are uploaded: the content takes their URLs (returned), ready to send. */
  finishUploads(messageId: string): Promise<Content> {
    return this.writes.submit((tx) => media.finishUploads(tx, this.ctx, messageId));
  }

  // ---- Receive path ------------------------------------------------------------------------------

  /**
   * Stores pushes in one transaction; ack their cursors only after this resolves. Records at or
   * below the stored cursor are duplicates and skipped, as are messages already stored. `epoch`:
   * the server epoch they came under, stored with the cursor.
   */
  ingest(records: readonly PushRecord[], epoch?: string): Promise<IngestResult> {
    return this.writes.submit((tx) => inbox.ingest(tx, this.ctx, records, epoch));
  }

  /**
   * The server lost history this device stored: go back to what it holds, in one transaction (see
   * rollback.ts). Own messages it lost are queued again; others' are removed.
   */
  rollback(input: RollbackInput): Promise<RollbackResult> {
    return this.writes.submit((tx) => rollback(tx, this.ctx, input));
  }

  /**
   * The stream restarts at the server's head (auth_ok's `rebuild`): store `cursor` under `epoch` and
   * mark the head to load, in one transaction. Nothing stored is removed.
   */
  startAtHead(to: { cursor: number; epoch: string }): Promise<void> {
    return this.writes.submit((tx) => head.startAtHead(tx, to));
  }

  /** True while the head the server asked for is not all stored (see {@link storeHeadPage}). */
  headPending(): Promise<boolean> {
    return head.headPending(this.driver);
  }

  /** One sync.head page in one transaction; `last` clears the head marker with it. */
  storeHeadPage(entries: readonly HeadEntry[], last: boolean): Promise<IngestResult> {
    return this.writes.submit((tx) => head.storeHeadPage(tx, this.ctx, entries, last));
  }

  /**
   * Stores a messages.history or messages.range page of one conversation (same dedup and seq
   * bookkeeping as pushes). INVALID_PARAMS if a message belongs to another conversation.
   */
  storeMessages(conversationId: string, messages: readonly Message[]): Promise<IngestResult> {
    return this.writes.submit((tx) => inbox.storeMessages(tx, this.ctx, conversationId, messages));
  }

  /** Stores conversations.list results: info replaced, lastSeq and readSeq only raised, last messages stored. */
  upsertConversations(list: readonly ConversationView[]): Promise<IngestResult> {
    return this.writes.submit((tx) => inbox.upsertConversations(tx, this.ctx, list));
  }

  /** Highest push cursor stored: resume the stream after it. 0 for a new database. */
  getCursor(): Promise<number> {
    return inbox.storedCursor(this.driver);
  }

  /** The server epoch the stored cursor belongs to (sent with it at auth); null before any. */
  getEpoch(): Promise<string | null> {
    return inbox.storedEpoch(this.driver);
  }

  /** Where an engine over this store resumes the push stream: the stored cursor and its epoch. */
  async resumePoint(): Promise<{ initialCursor: number; initialEpoch?: string }> {
    // One after the other on purpose: both are read at open, before any write could come between.
    const cursor = await this.getCursor();
    const epoch = await this.getEpoch();
    return epoch === null ? { initialCursor: cursor } : { initialCursor: cursor, initialEpoch: epoch };
  }

  // ---- Read path ---------------------------------------------------------------------------------

  /** Conversations by last activity (unsent own messages count), with unread counts and last messages. */
  conversationList(limit: number, offset: number): Promise<LocalConversation[]> {
    return queries.conversationList(this.driver, limit, offset);
  }

  /** One conversation as {@link conversationList} shows it, or null if unknown. */
  conversation(id: string): Promise<LocalConversation | null> {
    return queries.conversation(this.driver, id);
  }

  /** The newest `limit` messages, ascending: stored ones by seq, then own unsent ones by createdAt. */
  latest(conversationId: string, limit: number): Promise<LocalMessage[]> {
    return queries.latest(this.driver, conversationId, limit);
  }

  /** Up to `limit` stored messages with seq < beforeSeq, ascending (pull-down history). */
  before(conversationId: string, beforeSeq: number, limit: number): Promise<LocalMessage[]> {
    return queries.before(this.driver, conversationId, beforeSeq, limit);
  }

  message(senderId: string, id: string): Promise<LocalMessage | null> {
    return queries.message(this.driver, senderId, id);
  }

  /** Moves the local read position forward (never back, never past lastSeq). True if it moved. */
  markRead(conversationId: string, upToSeq: number): Promise<boolean> {
    return this.writes.submit((tx) => queries.markRead(tx, conversationId, upToSeq));
  }

  /** Messages containing `query` in their text or card title, newest first. */
  search(query: string, limit: number): Promise<LocalMessage[]> {
    return queries.search(this.driver, query, limit);
  }

  /** Every seq up to this is stored; 0 for an unknown conversation. */
  contiguousSeq(conversationId: string): Promise<number> {
    return queries.contiguousSeq(this.driver, conversationId);
  }

  /** The lowest stored seq, or null when none is. */
  oldestSeq(conversationId: string): Promise<number | null> {
    return queries.oldestSeq(this.driver, conversationId);
  }

  /** The stored cursor, the outbox and each conversation's positions (see diagnostics.ts). */
  diagnostics(): Promise<StoreDiagnostics> {
    return readDiagnostics(this.driver);
  }

  /** Members' delivered and read positions (e.g. "read by 3" in a group), from the receipts pushed so far. */
  receipts(conversationId: string): Promise<MemberReceipt[]> {
    return queries.receipts(this.driver, conversationId);
  }

  /** True once a stored page reached seq 1: there is nothing older to fetch. */
  historyComplete(conversationId: string): Promise<boolean> {
    return queries.historyComplete(this.driver, conversationId);
  }

  /** Lets submitted writes finish, refuses new ones (CLOSED), then closes the driver. */
  async close(): Promise<void> {
    await this.writes.close();
    await this.driver.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
