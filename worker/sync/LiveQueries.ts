/**
 * Queries tabs subscribe to, shared: tabs watching the same query (same conversation, same limit)
 * share one run and one result. After a change the query runs once, its result is diffed against
 * the one subscribers hold, and each gets the same small patch (new, changed and removed rows);
 * tabs never poll and never re-run anything themselves. Runs are coalesced, so a burst of changes
 * costs one run per query.
 *
 * A message can also be shown before it is stored ({@link preview}): the engine calls it the moment
 * a push arrives, so every tab sees the message while the database is still committing it. The
 * previewed row stays in the result until a run that started after its commit settled replaces it.
 */
import { applyPatch, diffRows } from '../../schema/livePatch';
import type { Platform, TimerId } from '../platform';
import type { LiveQuery, LiveResult, LiveStats, LiveUpdate, LocalMessage } from '../protocol';

export type { LiveQuery, LiveResult } from '../protocol';

/** Coalescing window for re-runs after a change. */
const RERUN_DELAY_MS = 10;
/** Most subscriptions one owner (tab) may hold: a leaking tab cannot exhaust the worker. */
const MAX_PER_OWNER = 64;
/** Previewed rows kept per query at most (a flood of pushes waiting for one slow commit). */
const MAX_PREVIEWS = 256;

interface Listener {
  owner: string;
  deliver: (update: LiveUpdate) => void;
  /** Has had a whole result: from now on it gets patches. */
  primed: boolean;
}

interface Preview {
  row: LocalMessage;
  /** The run count when its commit settled; null while it is being stored. */
  settledAt: number | null;
}

interface Shared {
  query: LiveQuery;
  listeners: Map<string, Listener>;
  /** What every primed listener holds. */
  current: LiveResult | null;
  dirty: boolean;
  running: boolean;
  /** Messages shown before their commit, by row key (messages queries only). */
  previews: Map<string, Preview>;
}

export class LiveQueries {
  private readonly shared = new Map<string, Shared>();
  /** Listener id → its query's key. */
  private readonly listenerKeys = new Map<string, string>();
  private timer: TimerId | null = null;
  private ids = 0;
  private runs = 0;

  constructor(
    private readonly run: (q: LiveQuery) => Promise<LiveResult>,
    private readonly platform: Platform,
  ) {}

  /**
   * Subscribe. The first update is the whole result (at once when the query is already held for
   * another tab, else after one run); patches follow. Returns the subscription id.
   */
  add(owner: string, query: LiveQuery, deliver: (update: LiveUpdate) => void): string {
    let owned = 0;
    for (const s of this.shared.values()) for (const l of s.listeners.values()) if (l.owner === owner) owned++;
    if (owned >= MAX_PER_OWNER) throw new Error(`at most ${MAX_PER_OWNER} live queries per tab`);
    const key = queryKey(query);
    let s = this.shared.get(key);
    if (!s) {
      s = { query, listeners: new Map(), current: null, dirty: false, running: false, previews: new Map() };
      this.shared.set(key, s);
    }
    const id = `q${++this.ids}`;
    const listener: Listener = { owner, deliver, primed: false };
    s.listeners.set(id, listener);
    this.listenerKeys.set(id, key);
    const held = s;
    if (held.current) {
      // After the caller has the id: its first update must not overtake the reply that names it.
      queueMicrotask(() => {
        if (held.current && held.listeners.get(id) === listener && !listener.primed) {
          listener.primed = true;
          listener.deliver({ type: 'result', result: held.current });
        }
      });
    } else if (!held.running) {
      void this.rerun(held);
    }
    return id;
  }

  /** Like {@link add}, for a subscriber in this worker that wants whole results (tests, tools). */
  addWhole(owner: string, query: LiveQuery, onResult: (result: LiveResult) => void): string {
    let held: LiveResult | null = null;
    return this.add(owner, query, (u) => {
      held = u.type === 'result' ? u.result : held && patched(held, u.patch);
      if (held) onResult(held);
    });
  }

  remove(id: string): void {
    const key = this.listenerKeys.get(id);
    this.listenerKeys.delete(id);
    const s = key === undefined ? undefined : this.shared.get(key);
    if (!s) return;
    s.listeners.delete(id);
    if (s.listeners.size === 0) this.shared.delete(key!);
  }

  removeOwner(owner: string): void {
    for (const [id, key] of [...this.listenerKeys]) {
      if (this.shared.get(key)?.listeners.get(id)?.owner === owner) this.remove(id);
    }
  }

  /** The store changed these conversations (any change touches the conversation list). */
  changed(conversationIds: readonly string[]): void {
    if (conversationIds.length === 0) return;
    const set = new Set(conversationIds);
    for (const s of this.shared.values()) {
      if (s.query.kind === 'conversations' || set.has(s.query.conversationId)) s.dirty = true;
    }
    this.schedule();
  }

  /**
   * Show these messages now, before they are stored: each query of their conversation that holds a
   * result patches them in (marked `unstored`) and sends the patch at once. Call {@link settled}
   * once their commit ends, whether it succeeded or not.
   */
  preview(messages: readonly LocalMessage[]): void {
    if (messages.length === 0) return;
    for (const s of this.shared.values()) {
      if (s.query.kind !== 'messages') continue;
      const cid = s.query.conversationId;
      const mine = messages.filter((m) => m.conversationId === cid);
      if (mine.length === 0) continue;
      for (const m of mine) {
        const row: LocalMessage = { ...m, unstored: true };
        s.previews.set(messageKey(row), { row, settledAt: null });
      }
      while (s.previews.size > MAX_PREVIEWS) s.previews.delete(s.previews.keys().next().value as string);
      if (s.current?.kind === 'messages') this.publish(s, { ...s.current, messages: withPreviews(s.current.messages, s.previews, s.query.limit) });
    }
  }

  /**
   * The commit carrying previews of these conversations ended: a run that starts from now on sees
   * what it stored, so its result replaces the previews (or drops them, had the commit failed).
   */
  settled(conversationIds: readonly string[], stored = true): void {
    const set = new Set(conversationIds);
    let any = false;
    for (const s of this.shared.values()) {
      if (s.query.kind !== 'messages' || !set.has(s.query.conversationId)) continue;
      if (!stored) {
        // Not stored (storage full, say): take them out now, not at a run that may fail as well.
        const gone = [...s.previews].filter(([, p]) => p.settledAt === null).map(([k]) => k);
        for (const k of gone) s.previews.delete(k);
        const held = s.current;
        if (gone.length > 0 && held?.kind === 'messages') {
          const drop = new Set(gone);
          this.publish(s, { ...held, messages: held.messages.filter((m) => !(m.unstored && drop.has(messageKey(m)))) });
        }
        continue;
      }
      for (const p of s.previews.values()) {
        if (p.settledAt !== null) continue;
        p.settledAt = this.runs;
        s.dirty = any = true;
      }
    }
    if (any) this.schedule();
  }

  get size(): number {
    return this.shared.size;
  }

  stats(): LiveStats {
    let listeners = 0;
    for (const s of this.shared.values()) listeners += s.listeners.size;
    return { queries: this.shared.size, listeners, runs: this.runs };
  }

  private async rerun(s: Shared): Promise<void> {
    s.dirty = false;
    s.running = true;
    const startedAt = ++this.runs;
    try {
      const result = await this.run(s.query);
      if (this.shared.get(queryKey(s.query)) !== s) return;
      if (result.kind === 'messages') {
        // Previews this run is sure to have seen stored (or not, had their commit failed) are done.
        for (const [k, p] of s.previews) if (p.settledAt !== null && startedAt > p.settledAt) s.previews.delete(k);
        this.publish(s, { ...result, messages: withPreviews(result.messages, s.previews, s.query.limit) });
      } else {
        this.publish(s, result);
      }
    } catch {
      // A failed read (storage gone) is retried on the next change.
    } finally {
      s.running = false;
      // It changed while it ran: once more, after the coalescing window.
      if (s.dirty) this.schedule();
    }
  }

  /** Re-run every dirty query that is not running, after the coalescing window. */
  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = this.platform.timers.setTimeout(() => {
      this.timer = null;
      for (const s of this.shared.values()) if (s.dirty && !s.running) void this.rerun(s);
    }, RERUN_DELAY_MS);
  }

  /** Make `next` the held result: primed listeners get the patch to it, the others all of it. */
  private publish(s: Shared, next: LiveResult): void {
    const before = s.current;
    s.current = next;
    const patch = before ? diffRows<LocalMessage | LocalConversationRow>(rowsOf(before), rowsOf(next)) : null;
    for (const l of s.listeners.values()) {
      if (!l.primed) {
        l.primed = true;
        l.deliver({ type: 'result', result: next });
      } else if (patch) {
        l.deliver({ type: 'patch', patch });
      }
    }
  }
}

type LocalConversationRow = Extract<LiveResult, { kind: 'conversations' }>['conversations'][number];

function queryKey(q: LiveQuery): string {
  return q.kind === 'messages' ? `m\u0000${q.conversationId}\u0000${q.limit}` : `c\u0000${q.limit}`;
}

function messageKey(m: LocalMessage): string {
  return `${m.senderId}\u0000${m.id}`;
}

function rowsOf(r: LiveResult): (LocalMessage | LocalConversationRow)[] {
  return r.kind === 'messages' ? r.messages : r.conversations;
}

/** A result with a patch applied (for in-worker subscribers that want whole results). */
function patched(r: LiveResult, patch: Parameters<typeof applyPatch>[1]): LiveResult {
  return r.kind === 'messages' ? { ...r, messages: applyPatch(r.messages, patch) } : { ...r, conversations: applyPatch(r.conversations, patch) };
}

/**
 * The page as it will be once the previews are stored: each preview not in it yet goes after the
 * stored messages with a lower seq and before the unsent ones (which sit at the bottom), then the
 * oldest rows beyond `limit` leave, as the query would drop them.
 */
export function withPreviews(rows: readonly LocalMessage[], previews: ReadonlyMap<string, Preview>, limit: number): LocalMessage[] {
  if (previews.size === 0) return rows as LocalMessage[];
  const present = new Set(rows.map(messageKey));
  const out = [...rows];
  for (const [key, { row }] of previews) {
    if (present.has(key) || row.seq === null) continue;
    let at = out.length;
    while (at > 0 && (out[at - 1]!.seq === null || out[at - 1]!.seq! > row.seq)) at--;
    out.splice(at, 0, row);
    present.add(key);
  }
  return out.length > limit ? out.slice(out.length - limit) : out;
}
