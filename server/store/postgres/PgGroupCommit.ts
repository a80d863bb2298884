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
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { PushEvent } from '../../../schema';
import { currentFence, SessionFenced, type Fence } from '../../cluster/fence';
import type { CommittedEvent, EventOrigin } from '../Store';
import { noteFailure, statement } from './statements';

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

/**
 * The first statement of a group's transaction, one round trip: read the claims of the sessions
 * whose writes it carries (FOR SHARE: a login bumping one waits for this commit, so a write either
 * commits before the newer claim or is refused), and lock the conversations the writes name, in id
 * order (every group takes them in the same order: no deadlock). A login takes no conversation
 * lock, so waiting on a claim while holding conversations makes no cycle either. Resolves with the
 * writes whose session's claim is no longer the newest.
 */
async function claimsAndLocks(client: PoolClient, batch: readonly { fence: Fence | undefined; locks: readonly string[] }[]): Promise<Set<number>> {
  const fenced = batch.flatMap((p, i) => (p.fence ? [{ i, fence: p.fence }] : []));
  const keys = [...new Map(fenced.map(({ fence }) => [slotKey(fence.userId, fence.scope), fence])).values()];
  const conversations = [...new Set(batch.flatMap((p) => p.locks))].sort();
  if (keys.length === 0 && conversations.length === 0) return new Set();
  const { rows } = await named<{ user_id: string; scope: string; epoch: number }>(
    client,
    `WITH locked AS (SELECT id FROM conversations WHERE id = ANY($3::text[]) ORDER BY id FOR UPDATE),
          claims AS (
            SELECT c.user_id, c.scope, c.epoch FROM session_claims c
              JOIN unnest($1::text[], $2::text[]) AS k(user_id, scope) ON c.user_id = k.user_id AND c.scope = k.scope
             ORDER BY c.user_id, c.scope FOR SHARE OF c)
     -- Both are read in full whatever the other holds: a CTE not read would take no lock.
     SELECT c.user_id, c.scope, c.epoch FROM (SELECT COUNT(*) FROM locked) AS l(n) LEFT JOIN claims c ON true`,
    [keys.map((k) => k.userId), keys.map((k) => k.scope), conversations],
  );
  const newest = new Map(rows.filter((r) => r.user_id !== null).map((r) => [slotKey(r.user_id, r.scope), Number(r.epoch)]));
  return new Set(fenced.filter(({ fence }) => newest.get(slotKey(fence.userId, fence.scope)) !== fence.epoch).map(({ i }) => i));
}

const slotKey = (userId: string, scope: string) => `${userId}\n${scope}`;

/** A statement of a write, by name (statements.ts). */
async function named<R extends object>(client: PoolClient, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  try {
    return await client.query<R>(statement(text, params));
  } catch (err) {
    noteFailure(text, err);
    throw err;
  }
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
      const stale = await claimsAndLocks(client, batch);
      const appended: Appended[] = [];
      const alone = batch.length === 1;
      for (const [i, p] of batch.entries()) {
        if (stale.has(i)) outcomes.push({ ok: false, err: new SessionFenced(p.fence!) });
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

  /** One write, in a savepoint unless it is the group's only one; retried once after a unique violation. */
  private async runOne(client: PoolClient, p: Pending, appended: Appended[], alone: boolean) {
    for (let attempt = 0; ; attempt++) {
      const mark = appended.length;
      const tx: Tx = {
        query: async <R>(text: string, params?: readonly unknown[]) => (await named(client, text, params)).rows as R[],
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
          if ((await claimsAndLocks(client, [p])).size > 0) return { ok: false as const, err: new SessionFenced(p.fence!) };
          continue;
        }
        await client.query('ROLLBACK TO SAVEPOINT w');
        await client.query('RELEASE SAVEPOINT w');
        if (attempt === 0 && isUniqueViolation(err)) continue;
        return { ok: false as const, err };
      }
    }
  }

  /**
   * Take `n` cursors from the counter (its row lock is held to COMMIT) and write the events there,
   * in one statement: the counter is the last thing a group locks.
   */
  private async appendEvents(client: PoolClient, appended: readonly Appended[]): Promise<CommittedEvent[]> {
    if (appended.length === 0) return [];
    const { rows } = await named<{ head: number }>(
      client,
      `WITH h AS (UPDATE stream SET head = head + $1 WHERE id = 1 RETURNING head),
            ins AS (
              INSERT INTO events (pos, conversation_id, kind, seq, payload, created_at, origin_user, origin_device)
              SELECT h.head - $1 + t.n, t.conversation_id, t.kind, t.seq, t.payload, $2, t.origin_user, t.origin_device
                FROM h, unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[])
                        WITH ORDINALITY AS t(conversation_id, kind, seq, payload, origin_user, origin_device, n))
       SELECT head FROM h`,
      [
        appended.length,
        this.now(),
        appended.map((a) => a.conversationId),
        appended.map((a) => a.event.kind),
        // Message events point at their row instead of copying it.
        appended.map((a) => (a.event.kind === 'message' ? a.event.message.seq : null)),
        appended.map((a) => (a.event.kind === 'message' ? null : JSON.stringify(a.event))),
        appended.map((a) => a.origin?.userId ?? null),
        appended.map((a) => a.origin?.deviceId ?? null),
      ],
    );
    const first = Number(rows[0]!.head) - appended.length + 1;
    return appended.map((a, i): CommittedEvent => ({ cursor: first + i, conversationId: a.conversationId, event: a.event, ...(a.origin ? { origin: a.origin } : {}) }));
  }
}
