/**
 * Queries tabs subscribe to. The worker re-runs a query when the store reports a change that can
 * affect it and pushes the new result: tabs never poll. Re-runs are coalesced, so a burst of
 * changes costs one query per subscription.
 */
import type { Platform, TimerId } from '../platform';
import type { LocalConversation, LocalMessage } from '../store/types';

export type LiveQuery =
  | { kind: 'conversations'; limit: number }
  | { kind: 'messages'; conversationId: string; limit: number };

export type LiveResult =
  | { kind: 'conversations'; conversations: LocalConversation[] }
  | { kind: 'messages'; conversationId: string; messages: LocalMessage[] };

interface Subscription {
  owner: string;
  query: LiveQuery;
  deliver: (result: LiveResult) => void;
  dirty: boolean;
}

/** Coalescing window for re-runs after a change. */
const RERUN_DELAY_MS = 10;
/** Most subscriptions one owner (tab) may hold: a leaking tab cannot exhaust the worker. */
const MAX_PER_OWNER = 64;

export class LiveQueries {
  private readonly subs = new Map<string, Subscription>();
  private timer: TimerId | null = null;
  private seq = 0;

  constructor(
    private readonly run: (q: LiveQuery) => Promise<LiveResult>,
    private readonly platform: Platform,
  ) {}

  /** Subscribe; the first result is delivered at once. Returns the subscription id. */
  add(owner: string, query: LiveQuery, deliver: (result: LiveResult) => void): string {
    if ([...this.subs.values()].filter((s) => s.owner === owner).length >= MAX_PER_OWNER) {
      throw new Error(`at most ${MAX_PER_OWNER} live queries per tab`);
    }
    const id = `q${++this.seq}`;
    const sub: Subscription = { owner, query, deliver, dirty: false };
    this.subs.set(id, sub);
    void this.rerun(sub);
    return id;
  }

  remove(id: string): void {
    this.subs.delete(id);
  }

  removeOwner(owner: string): void {
    for (const [id, s] of this.subs) if (s.owner === owner) this.subs.delete(id);
  }

  /** The store changed these conversations (any change touches the conversation list). */
  changed(conversationIds: readonly string[]): void {
    if (conversationIds.length === 0) return;
    const set = new Set(conversationIds);
    for (const s of this.subs.values()) {
      if (s.query.kind === 'conversations' || set.has(s.query.conversationId)) s.dirty = true;
    }
    if (this.timer === null) {
      this.timer = this.platform.timers.setTimeout(() => {
        this.timer = null;
        for (const s of this.subs.values()) if (s.dirty) void this.rerun(s);
      }, RERUN_DELAY_MS);
    }
  }

  get size(): number {
    return this.subs.size;
  }

  private async rerun(sub: Subscription): Promise<void> {
    sub.dirty = false;
    try {
      const result = await this.run(sub.query);
      if ([...this.subs.values()].includes(sub)) sub.deliver(result);
    } catch {
      // A failed read (storage gone) is retried on the next change.
    }
  }
}
