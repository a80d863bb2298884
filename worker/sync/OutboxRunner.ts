/**
 * Sends what the outbox holds, while online: the head of each conversation's queue, one at a time
 * per conversation (so the server's seq follows the send order), conversations in parallel. A
 * retryable failure waits with backoff; a permanent one, or too many attempts, marks the message
 * failed with its reason. Resends reuse the client id, so the server stores each message once.
 */
import { contentBytes, ErrorCode, isRetryable, ParleyError, type Content, type Message } from '../../schema';
import { backoffDelay } from '../connection/backoff';
import type { Platform, TimerId } from '../platform';
import type { OutboxItem } from '../store/types';

export interface OutboxStore {
  nextBatch(now: number, limit: number): Promise<OutboxItem[]>;
  queuedRun(conversationId: string, limit: number): Promise<OutboxItem[]>;
  retryNow(): Promise<number>;
  markSent(id: string, message: Message): Promise<unknown>;
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

  private async armRetryTimer(): Promise<void> {
    if (this.timer !== null || this.closed) return;
    if ((await this.deps.store.pendingCount()) === 0) return;
    this.timer = this.deps.platform.timers.setTimeout(() => {
      this.timer = null;
      this.kick();
    }, RETRY_POLL_MS);
  }

  private async sendOne(item: OutboxItem): Promise<void> {
    const run = await this.batchFrom(item).catch(() => [item]);
    if (run.length > 1) return this.sendRun(run);
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
        await store.markSent(item.messageId, sent.message);
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
    const ready = (i: OutboxItem) => this.deps.ready?.(i) ?? true;
    if (!this.deps.sendBatch || !this.batching || !ready(head) || this.soloNext.delete(head.messageId)) return [head];
    const queued = await this.deps.store.queuedRun(head.conversationId, SEND_BATCH_MAX);
    if (queued[0]?.messageId !== head.messageId) return [head];
    const run: OutboxItem[] = [];
    let bytes = 0;
    for (const item of queued) {
      bytes += contentBytes(item.content);
      if (!ready(item) || (run.length > 0 && bytes > SEND_BATCH_BYTES)) break;
      run.push(item);
    }
    return run;
  }

  /**
   * One messages.sendBatch for a run. The server stores in order and stops at the first failure:
   * the items it stored are marked sent (together: one local commit), the failed one is retried or
   * failed like a single send, and the rest stay queued behind it, so the order always holds.
   */
  private async sendRun(run: OutboxItem[]): Promise<void> {
    const { store, platform } = this.deps;
    const head = run[0]!;
    /** The items this attempt settled one way or another (the rest are untouched, still queued). */
    let settled: OutboxItem[] = [head];
    try {
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
        return;
      }
      // Never trust the answer's length: a result without a message of ours is ignored, and an
      // empty answer counts as a failed attempt (else the head would be sent again at once, forever).
      results = results.slice(0, run.length);
      if (results.length === 0) return await this.recordFailure(head, new ParleyError(ErrorCode.INTERNAL, 'the server answered the batch with no results'));
      settled = run.slice(0, Math.max(1, results.length));
      const stored = results.flatMap((r, i) => (r.ok ? [store.markSent(run[i]!.messageId, r.message)] : []));
      const failed = results.findIndex((r) => !r.ok);
      if (failed >= 0) {
        const r = results[failed] as Extract<BatchResult, { ok: false }>;
        stored.push(this.recordFailure(run[failed]!, new ParleyError(r.error.code as ErrorCode, r.error.message)));
      }
      const outcomes = await Promise.allSettled(stored);
      if (outcomes.some((o) => o.status === 'rejected')) this.pausedUntil = platform.clock.now() + STORE_FAILURE_PAUSE_MS;
    } finally {
      this.sending.delete(head.conversationId);
      for (const i of settled) this.deps.changed(i.conversationId, i.messageId);
      this.kick();
    }
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
