/**
 * Group commit on PostgreSQL: writes that arrive while a group is being committed share the next
 * transaction, one at a time per node, as on SQLite. Each write runs in a savepoint of its own when
 * the group has several, so one that fails is rolled back alone.
 *
 * Order and deadlocks. A group first locks every conversation its writes named, sorted by id, so two
 * nodes' groups never wait on each other in a cycle; a conversation's messages (and receipts) are
 * thus written one group at a time, cluster-wide. The push stream's counter (`stream.head`) is taken
 * last, just before COMMIT, and cursors are assigned to the group's events then: the counter's row
 * lock orders commits, so cursors are gapless and committed in order (migrations.ts says why).
 *
 * A write whose statement hits a unique violation is run once more in a fresh savepoint: another
 * node committed the same key meanwhile (the same client id, the same direct pair), and the second
 * run finds it. A commit whose outcome is unknown (the connection died during COMMIT) rejects its
 * writes; the clients retry by id, and if the commit did happen its events reach the fan-out by the
 * feed's position check.
 */
import type { Pool, PoolClient } from 'pg';
import type { PushEvent } from '../../../schema';
import { currentFence, SessionFenced, type Fence } from '../../cluster/fence';
import type { CommittedEvent, EventOrigin } from '../Store';

/** What a write's work runs against: its transaction's queries, and appends to the push stream. */
export interface Tx {
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Append an event; it gets its cursor at the group's commit, and is dropped if the write fails. */
  append(conversationId: string, event: PushEvent, origin?: EventOrigin): void;
}

/** A write in the next group: `locks` are the existing conversations it changes (locked first, sorted). */
export type PgWrite = <T>(locks: readonly string[], work: (tx: Tx) => Promise<T>) => Promise<T>;

interface Pending {
  locks: readonly string[];
  /** The claim of the session whose request made this write (fence.ts), if any. */
  fence: Fence | undefined;
  work: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

interface Appended {
  conversationId: string;
  event: PushEvent;
  origin?: EventOrigin;
}

export interface PgCommitHooks {
  /** The group committed these events (cursor order). Awaited before any write's promise settles. */
  committed(events: readonly CommittedEvent[]): Promise<void>;
}

/** Most writes in one transaction: bounds how long one group holds the conversations it locked. */
const MAX_BATCH = 256;
const UNIQUE_VIOLATION = '23505';

/** Lock these conversations' rows, in id order (every group takes them in the same order: no deadlock). */
async function lockConversations(client: PoolClient, ids: readonly string[]): Promise<void> {
  const sorted = [...new Set(ids)].sort();
  if (sorted.length > 0) await client.query('SELECT id FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [sorted]);
}

/** Clients that have their 'error' listener (the pool hands the same ones out again). */
const listening = new WeakSet<PoolClient>();

export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string } | null)?.code === UNIQUE_VIOLATION;

export class PgGroupCommit {
  private queue: Pending[] = [];
  /** The drain in progress (groups commit one after another), or null when idle. */
  private draining: Promise<void> | null = null;
  /** Commits made and writes they carried, for the metrics and the bench. */
  commits = 0;
  writes = 0;

  constructor(
    private readonly pool: Pool,
    private readonly now: () => number,
    private readonly hooks: PgCommitHooks,
  ) {}

  readonly run: PgWrite = <T>(locks: readonly string[], work: (tx: Tx) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      this.queue.push({ locks, fence: currentFence(), work, resolve: resolve as (v: unknown) => void, reject });
      // The first write waits one turn of the event loop, so those decoded in the same turn join it.
      this.draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.drain());
    });

  /** Resolves once nothing is queued or being committed. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commit(this.queue.splice(0, MAX_BATCH));
    } finally {
      this.draining = null;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    // A connection that dies while checked out (a restart, a terminated backend) emits 'error' on
    // its client, where the pool's listener does not reach: unheard, that would end the process.
    // The query in flight rejects on its own, and the client is released broken below.
    if (!listening.has(client)) {
      listening.add(client);
      client.on('error', () => {});
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    let events: CommittedEvent[] = [];
    let broken: unknown = null;
    try {
      await client.query('BEGIN');
      const stale = await this.superseded(client, batch);
      await lockConversations(client, batch.flatMap((p) => p.locks));
      const appended: Appended[] = [];
      const alone = batch.length === 1;
      for (const p of batch) {
        if (stale.has(p)) outcomes.push({ ok: false, err: new SessionFenced(p.fence!) });
        else outcomes.push(await this.runOne(client, p, appended, alone));
      }
      if (alone && !outcomes[0]!.ok) {
        await client.query('ROLLBACK');
      } else {
        events = await this.appendEvents(client, appended);
        await client.query('COMMIT');
      }
    } catch (err) {
      broken = err;
      await client.query('ROLLBACK').catch(() => {});
    } finally {
      // A client whose transaction failed in an unknown state is not handed out again.
      client.release(broken instanceof Error ? broken : undefined);
    }
    if (broken !== null) {
      for (const p of batch) p.reject(broken);
      return;
    }
    this.commits++;
    this.writes += batch.length;
    if (events.length > 0) await this.hooks.committed(events).catch(() => {});
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.err);
    });
  }

  /**
   * The writes whose session's claim is no longer the newest. The claims are read FOR SHARE: a login
   * bumping one waits for this commit, so a write either commits before the newer claim or is refused.
   */
  private async superseded(client: PoolClient, batch: readonly Pending[]): Promise<Set<Pending>> {
    const fenced = batch.filter((p) => p.fence !== undefined);
    if (fenced.length === 0) return new Set();
    const keys = [...new Map(fenced.map((p) => [`${p.fence!.userId}\n${p.fence!.scope}`, p.fence!])).values()].sort((a, b) =>
      a.userId === b.userId ? (a.scope < b.scope ? -1 : 1) : a.userId < b.userId ? -1 : 1,
    );
    const rows = (
      await client.query<{ user_id: string; scope: string; epoch: number }>(
        `SELECT c.user_id, c.scope, c.epoch FROM session_claims c
          JOIN unnest($1::text[], $2::text[]) AS k(user_id, scope) ON c.user_id = k.user_id AND c.scope = k.scope
          ORDER BY c.user_id, c.scope FOR SHARE OF c`,
        [keys.map((k) => k.userId), keys.map((k) => k.scope)],
      )
    ).rows;
    const newest = new Map(rows.map((r) => [`${r.user_id}\n${r.scope}`, r.epoch]));
    return new Set(fenced.filter((p) => newest.get(`${p.fence!.userId}\n${p.fence!.scope}`) !== p.fence!.epoch));
  }

  /** One write, in a savepoint unless it is the group's only one; retried once after a unique violation. */
  private async runOne(client: PoolClient, p: Pending, appended: Appended[], alone: boolean) {
    for (let attempt = 0; ; attempt++) {
      const mark = appended.length;
      const tx: Tx = {
        query: async <R>(text: string, params?: readonly unknown[]) => (await client.query(text, params as unknown[])).rows as R[],
        append: (conversationId, event, origin) => appended.push({ conversationId, event, ...(origin ? { origin } : {}) }),
      };
      if (!alone || attempt > 0) await client.query('SAVEPOINT w');
      try {
        const value = await p.work(tx);
        if (!alone || attempt > 0) await client.query('RELEASE SAVEPOINT w');
        return { ok: true as const, value };
      } catch (err) {
        appended.length = mark;
        if (alone && attempt === 0) {
          // No savepoint to go back to: the transaction is aborted. Start it again for the retry.
          if (!isUniqueViolation(err)) return { ok: false as const, err };
          await client.query('ROLLBACK');
          await client.query('BEGIN');
          if ((await this.superseded(client, [p])).size > 0) return { ok: false as const, err: new SessionFenced(p.fence!) };
          await lockConversations(client, p.locks);
          continue;
        }
        await client.query('ROLLBACK TO SAVEPOINT w');
        await client.query('RELEASE SAVEPOINT w');
        if (attempt === 0 && isUniqueViolation(err)) continue;
        return { ok: false as const, err };
      }
    }
  }

  /** Take `n` cursors from the counter (its lock is held to COMMIT) and write the events there. */
  private async appendEvents(client: PoolClient, appended: readonly Appended[]): Promise<CommittedEvent[]> {
    if (appended.length === 0) return [];
    const head = Number((await client.query<{ head: number }>('UPDATE stream SET head = head + $1 WHERE id = 1 RETURNING head', [appended.length])).rows[0]!.head);
    const first = head - appended.length + 1;
    const now = this.now();
    const events = appended.map((a, i): CommittedEvent => ({ cursor: first + i, conversationId: a.conversationId, event: a.event, ...(a.origin ? { origin: a.origin } : {}) }));
    await client.query(
      `INSERT INTO events (pos, conversation_id, kind, seq, payload, created_at, origin_user, origin_device)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[])`,
      [
        events.map((e) => e.cursor),
        events.map((e) => e.conversationId),
        events.map((e) => e.event.kind),
        // Message events point at their row instead of copying it.
        events.map((e) => (e.event.kind === 'message' ? e.event.message.seq : null)),
        events.map((e) => (e.event.kind === 'message' ? null : JSON.stringify(e.event))),
        events.map(() => now),
        events.map((e) => e.origin?.userId ?? null),
        events.map((e) => e.origin?.deviceId ?? null),
      ],
    );
    return events;
  }
}
