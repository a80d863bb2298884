/**
 * Sends what the outbox holds, while online: the head of each conversation's queue, one at a time
 * per conversation (so the server's seq follows the send order), conversations in parallel. A
 * retryable failure waits with backoff; a permanent one, or too many attempts, marks the message
 * failed with its reason. Resends reuse the client id, so the server stores each message once.
 */
import { ErrorCode, isRetryable, ParleyError, type Content, type Message } from '../../schema';
import { backoffDelay } from '../connection/backoff';
import type { Platform, TimerId } from '../platform';
import type { OutboxItem } from '../store/types';

export interface OutboxStore {
  nextBatch(now: number, limit: number): Promise<OutboxItem[]>;
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
  isOnline(): boolean;
  platform: Platform;
  /** A message's state changed (sent, retry, failed). */
  changed(conversationId: string, messageId: string): void;
}

/** Automatic attempts before a message is marked failed (the user can still resend it). */
export const MAX_SEND_ATTEMPTS = 8;
const RETRY = { baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.3 };
/** While retries are waiting, look again this often (a due retry is picked up within this). */
const RETRY_POLL_MS = 1_000;
const BATCH = 64;
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

  constructor(private readonly deps: OutboxDeps) {}

  /** Something may be sendable: new messages, back online, a resend. */
  kick(): void {
    if (this.closed) return;
    void this.pump();
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

  private async recordFailure(item: OutboxItem, err: unknown): Promise<void> {
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
