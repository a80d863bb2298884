/**
 * Sends what the outbox holds, while online: each conversation's queue in send order, one batch
 * at a time on the wire per conversation (so the server's seq follows the send order),
 * conversations in parallel. A retryable failure waits with backoff; a permanent one, or too many
 * attempts, marks the message failed with its reason. Resends reuse the client id, so the server
 * stores each message once.
 */
import { contentBytes, ErrorCode, isRetryable, ParleyError, type Content, type Message } from '../../schema';
import { backoffDelay } from '../connection/backoff';
import type { Platform, TimerId } from '../platform';
import type { IngestResult, OutboxItem } from '../store/types';

export interface OutboxStore {
  nextBatch(now: number, limit: number): Promise<OutboxItem[]>;
  queuedRun(conversationId: string, limit: number, afterOrderKey?: number): Promise<OutboxItem[]>;
  retryNow(): Promise<number>;
  markSent(id: string, message: Message): Promise<IngestResult>;
  markSentBatch(conversationId: string, messages: readonly Message[]): Promise<IngestResult>;
  markRetry(id: string, error: { code: string; message: string }, nextAttemptAt: number): Promise<unknown>;
  markFailed(id: string, error: { code: string; message: string }): Promise<unknown>;
  pendingCount(): Promise<number>;
}

export interface OutboxDeps {
  store: OutboxStore;
  send(params: { conversationId: string; clientId: string; content: Content }): Promise<{ message: Message }>;
  /**
   * Makes an item sendable and returns the content to send (a media message uploads its files and
   * takes their URLs). Its failures count as the send's: retried with backoff, or failed.
   */
  prepare?(item: OutboxItem): Promise<Content>;
  /** True when `prepare` has nothing to do for the item: it may go out in a batch. Default: all. */
  ready?(item: OutboxItem): boolean;
  /** messages.sendBatch. Without it every message goes out on its own. */
  sendBatch?(params: { conversationId: string; messages: { clientId: string; content: Content }[] }): Promise<{ results: BatchResult[] }>;
  isOnline(): boolean;
  platform: Platform;
  /** A message's state changed (sent, retry, failed). */
  changed(conversationId: string, messageId: string): void;
  /**
   * What settling sent messages changed in the store, like an ingest's result: the seqs may have
   * closed or revealed a gap. The server does not push a device its own sends back, so this is
   * the only report of them.
   */
  settled?(result: IngestResult): void;
}

export type BatchResult = { ok: true; message: Message; duplicate: boolean } | { ok: false; error: { code: string; message: string } };

/** Automatic attempts before a message is marked failed (the user can still resend it). */
export const MAX_SEND_ATTEMPTS = 8;
const RETRY = { baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.3 };
/** While retries are waiting, look again this often (a due retry is picked up within this). */
const RETRY_POLL_MS = 1_000;
const BATCH = 64;
/** Messages per sendBatch (the server's MAX_SEND_BATCH) and their content bytes, under the 64 KiB frame cap. */
const SEND_BATCH_MAX = 100;
const SEND_BATCH_BYTES = 48 * 1024;
/** After the local store refused a write, wait this long before sending more. */
const STORE_FAILURE_PAUSE_MS = 2_000;

export class OutboxRunner {
  private readonly sending = new Set<string>();
  private pumping = false;
  private again = false;
  private timer: TimerId | null = null;
  /** A pending count for armRetryTimer runs; `rearm`: another kick came meanwhile. */
  private arming = false;
  private rearm = false;
  private closed = false;
  /** The store refused a write: no new sends before this time. */
  private pausedUntil = 0;
  /** Off once the server did not know messages.sendBatch (an older server). */
  private batching = true;
  /** Heads of batches the server refused whole: each goes alone once, to learn its own fate. */
  private readonly soloNext = new Set<string>();

  constructor(private readonly deps: OutboxDeps) {}

  /** Something may be sendable: new messages, back online, a resend. */
  kick(): void {
    if (this.closed) return;
    void this.pump();
  }

  /**
   * The connection is back: what waits for a retry goes now (its wait was mostly for the link),
   * then everything sendable is sent.
   */
  reconnected(): void {
    if (this.closed) return;
    this.deps.store.retryNow().then(
      () => this.kick(),
      () => this.kick(),
    );
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.deps.platform.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        if (!this.deps.isOnline() || this.closed) return;
        if (this.deps.platform.clock.now() < this.pausedUntil) return; // the retry timer resumes us
        const items = await this.deps.store.nextBatch(this.deps.platform.clock.now(), BATCH);
        for (const item of items) {
          if (this.sending.has(item.conversationId)) continue;
          this.sending.add(item.conversationId);
          void this.sendOne(item);
        }
      } while (this.again);
    } finally {
      this.pumping = false;
      await this.armRetryTimer();
    }
  }

  /**
   * Polls while something queued waits for its retry time. One count at a time: every kick ends
   * here, and a burst of sends would otherwise run one COUNT each (each a read of its own on the
   * local database). A kick during a count asks for one more after it, so none is lost. Offline it
   * does nothing: the reconnect kicks the queue (reconnected()).
   */
  private async armRetryTimer(): Promise<void> {
    if (this.arming) {
      this.rearm = true;
      return;
    }
    this.arming = true;
    try {
      do {
        this.rearm = false;
        if (this.timer !== null || this.closed || !this.deps.isOnline()) return;
        if ((await this.deps.store.pendingCount()) === 0) continue;
        if (this.timer !== null || this.closed) return;
        this.timer = this.deps.platform.timers.setTimeout(() => {
          this.timer = null;
          this.kick();
        }, RETRY_POLL_MS);
      } while (this.rearm);
    } finally {
      this.arming = false;
    }
  }

  private async sendOne(item: OutboxItem): Promise<void> {
    const run = await this.batchFrom(item).catch(() => [item]);
    if (run.length > 1) return this.sendRuns(run);
    const { store, platform } = this.deps;
    try {
      let sent: { message: Message };
      try {
        const content = this.deps.prepare ? await this.deps.prepare(item) : item.content;
        sent = await this.deps.send({ conversationId: item.conversationId, clientId: item.messageId, content });
      } catch (err) {
        await this.recordFailure(item, err);
        return;
      }
      try {
        // Awaited apart from the optional call: `settled?.(await …)` would skip the write without a listener.
        const settled = await store.markSent(item.messageId, sent.message);
        this.deps.settled?.(settled);
      } catch {
        // Sent, but the local write failed (e.g. storage full). The row stays queued; sending it
        // again later is harmless (the server answers with the same seq), so pause, then retry.
        this.pausedUntil = platform.clock.now() + STORE_FAILURE_PAUSE_MS;
      }
    } finally {
      this.sending.delete(item.conversationId);
      this.deps.changed(item.conversationId, item.messageId);
      this.kick();
    }
  }

  /**
   * The head and the ready messages queued behind it in its conversation, as many as one batch
   * takes; just the head when batching is off or the head needs preparing (a media upload).
   */
  private async batchFrom(head: OutboxItem): Promise<OutboxItem[]> {
    if (!this.deps.sendBatch || !this.batching || !this.ready(head) || this.soloNext.delete(head.messageId)) return [head];
    const queued = await this.deps.store.queuedRun(head.conversationId, SEND_BATCH_MAX);
    if (queued[0]?.messageId !== head.messageId) return [head];
    return this.fill(queued);
  }

  /**
   * The batch after `previous` in its conversation, while `previous` is still being settled
   * locally (its rows are still queued: the order key tells them apart). Empty when there is none,
   * or when the next message needs preparing: the next pump sends that one on its own.
   */
  private async batchAfter(previous: readonly OutboxItem[]): Promise<OutboxItem[]> {
    const last = previous[previous.length - 1]!;
    const queued = await this.deps.store.queuedRun(last.conversationId, SEND_BATCH_MAX, last.orderKey);
    return queued.length > 0 && this.ready(queued[0]!) ? this.fill(queued) : [];
  }

  private ready(item: OutboxItem): boolean {
    return this.deps.ready?.(item) ?? true;
  }

  /** The leading ready items of `queued` that fit in one batch (the first always does). */
  private fill(queued: readonly OutboxItem[]): OutboxItem[] {
    const run: OutboxItem[] = [];
    let bytes = 0;
    for (const item of queued) {
      bytes += contentBytes(item.content);
      if (!this.ready(item) || (run.length > 0 && bytes > SEND_BATCH_BYTES)) break;
      run.push(item);
    }
    return run;
  }

  /**
   * A conversation's queue as a pipeline of messages.sendBatch. The server stores a batch in
   * order and stops at its first failure. Once a batch is answered in full, the next one goes out
   * while this answer is settled locally: the answer took a round trip, the settle an IndexedDB
   * commit, and the two overlap. Settles run one after another in batch order. A batch answered
   * with a failure ends the run: the items stored before it are settled, the failed one is retried
   * or failed like a single send, and the rest stay queued behind it, so the order always holds.
   * The conversation stays taken until the last settle is done, so no batch is sent twice.
   */
  private async sendRuns(first: OutboxItem[]): Promise<void> {
    const conversationId = first[0]!.conversationId;
    /** The settles so far, chained in batch order. */
    let settling: Promise<void> = Promise.resolve();
    try {
      for (let run = first; run.length > 0; ) {
        const results = await this.sendBatchOf(run);
        if (results === null) break;
        const batch = run;
        settling = settling.then(() => this.settle(batch, results));
        const complete = results.length === run.length && results.every((r) => r.ok);
        if (!complete || !this.mayGoOn()) break;
        run = await this.batchAfter(run).catch(() => []);
      }
    } finally {
      await settling;
      this.sending.delete(conversationId);
      this.kick();
    }
  }

  /** Online, open, and the store is not refusing writes: the run may send its next batch. */
  private mayGoOn(): boolean {
    return !this.closed && this.deps.isOnline() && this.deps.platform.clock.now() >= this.pausedUntil;
  }

  /**
   * One messages.sendBatch; its results, at most one per item. Null when there is nothing to
   * settle: the batch was refused whole or answered with nothing (then handled here, on its head).
   */
  private async sendBatchOf(run: OutboxItem[]): Promise<BatchResult[] | null> {
    const head = run[0]!;
    let results: BatchResult[];
    try {
      ({ results } = await this.deps.sendBatch!({
        conversationId: head.conversationId,
        messages: run.map((i) => ({ clientId: i.messageId, content: i.content })),
      }));
    } catch (err) {
      // An older server, or a batch it refused as a whole: the head goes alone next time, and
      // its own answer says precisely what is wrong with it (if anything).
      if (ParleyError.is(err, ErrorCode.UNKNOWN_REQUEST)) this.batching = false;
      else if (ParleyError.is(err, ErrorCode.INVALID_PARAMS)) this.soloNext.add(head.messageId);
      else await this.recordFailure(head, err);
      this.deps.changed(head.conversationId, head.messageId);
      return null;
    }
    // Never trust the answer's length: a result without a message of ours is ignored, and an
    // empty answer counts as a failed attempt (else the head would be sent again at once, forever).
    results = results.slice(0, run.length);
    if (results.length === 0) {
      await this.recordFailure(head, new ParleyError(ErrorCode.INTERNAL, 'the server answered the batch with no results'));
      this.deps.changed(head.conversationId, head.messageId);
      return null;
    }
    return results;
  }

  /**
   * A batch's answer, stored: the messages the server stored are marked sent together (one local
   * write of a few statements), then a failed one is recorded. Never rejects: a store that
   * refused pauses sending instead.
   */
  private async settle(run: readonly OutboxItem[], results: readonly BatchResult[]): Promise<void> {
    const head = run[0]!;
    let settled: IngestResult | null = null;
    // A result naming another message than the item it answers is not trusted: that item stays queued.
    const stored = results.flatMap((r, i) => (r.ok && r.message.id === run[i]!.messageId ? [r.message] : []));
    if (stored.length > 0) {
      try {
        settled = await this.deps.store.markSentBatch(head.conversationId, stored);
      } catch {
        // Sent, but the local write failed (e.g. storage full). The rows stay queued; sending
        // them again later is harmless (the server answers with the same seqs). No new batch
        // goes out meanwhile.
        this.pausedUntil = this.deps.platform.clock.now() + STORE_FAILURE_PAUSE_MS;
      }
    }
    const failed = results.findIndex((r) => !r.ok);
    if (failed >= 0) {
      const r = results[failed] as Extract<BatchResult, { ok: false }>;
      await this.recordFailure(run[failed]!, new ParleyError(r.error.code as ErrorCode, r.error.message));
    }
    for (const item of run.slice(0, results.length)) this.deps.changed(item.conversationId, item.messageId);
    if (settled) this.deps.settled?.(settled);
  }

  private async recordFailure(item: OutboxItem, err: unknown): Promise<void> {
    // Closing (a reload, a sign-out) ends the attempt, not the message: CLOSED is not retryable,
    // so recording it would fail a message the next open would have sent. Leave the row as it is.
    if (this.closed) return;
    const { store, platform } = this.deps;
    const error = ParleyError.is(err)
      ? { code: err.code, message: err.message }
      : { code: ErrorCode.INTERNAL, message: String((err as Error)?.message ?? err) };
    const attempts = item.attempts + 1;
    try {
      if (isRetryable(error.code as ErrorCode) && attempts < MAX_SEND_ATTEMPTS) {
        await store.markRetry(item.messageId, error, platform.clock.now() + backoffDelay(attempts, RETRY, platform.random));
      } else {
        await store.markFailed(item.messageId, error);
      }
    } catch {
      // The store itself failed: the row stays as it was and is tried again after a pause.
      this.pausedUntil = platform.clock.now() + STORE_FAILURE_PAUSE_MS;
    }
  }
}
