/**
 * Delivered and read receipts to the server, coalesced: per conversation only the highest
 * position matters (receipts are cumulative), so a burst of stored messages costs one request.
 * A receipt that cannot be sent (offline) waits and goes out after the next connect.
 */
import type { Platform, TimerId } from '../platform';

export interface ReceiptDeps {
  platform: Platform;
  sendDelivered(conversationId: string, upToSeq: number): Promise<unknown>;
  sendRead(conversationId: string, upToSeq: number): Promise<unknown>;
  isOnline(): boolean;
}

const FLUSH_DELAY_MS = 100;

export class ReceiptSender {
  private readonly delivered = new Map<string, number>();
  private readonly read = new Map<string, number>();
  private timer: TimerId | null = null;

  constructor(private readonly deps: ReceiptDeps) {}

  markDelivered(conversationId: string, upToSeq: number): void {
    if ((this.delivered.get(conversationId) ?? 0) < upToSeq) this.delivered.set(conversationId, upToSeq);
    this.schedule();
  }

  markRead(conversationId: string, upToSeq: number): void {
    if ((this.read.get(conversationId) ?? 0) < upToSeq) this.read.set(conversationId, upToSeq);
    this.schedule();
  }

  /** After a (re)connect: send whatever is still waiting. */
  flushSoon(): void {
    this.schedule();
  }

  close(): void {
    if (this.timer !== null) this.deps.platform.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = this.deps.platform.timers.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, FLUSH_DELAY_MS);
  }

  private flush(): void {
    if (!this.deps.isOnline()) return; // kept; flushSoon() after the next connect sends them
    const send = (pending: Map<string, number>, fn: (c: string, s: number) => Promise<unknown>) => {
      for (const [conversationId, seq] of [...pending]) {
        pending.delete(conversationId);
        fn(conversationId, seq).catch(() => {
          // Put it back unless something newer arrived meanwhile.
          if ((pending.get(conversationId) ?? 0) < seq) pending.set(conversationId, seq);
        });
      }
    };
    send(this.delivered, this.deps.sendDelivered);
    send(this.read, this.deps.sendRead);
  }
}
