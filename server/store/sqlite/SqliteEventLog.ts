/**
 * The push stream on the server's SQLite database (table `events`): what writes append, held until
 * their group commits, and what a user's devices read back by cursor. A write's events are dropped
 * if it throws, and a group's if its commit fails: listeners hear only what is durable.
 */
import type { PushEvent } from '../../../schema';
import type { Identity } from '../../auth/tokens';
import type { CommittedEvent, EventOrigin, StoredEvent, Store } from '../Store';
import { toOrigin, toPushEvent, type EventRow } from '../rows';
import { asParty, partyParams } from './party';
import type { Sql } from './statements';


export class SqliteEventLog implements Pick<Store, 'eventsAfter' | 'headCursor' | 'seqsAt' | 'streamHead'> {
  /** Events appended by the writes of the group being committed, in cursor order. */
  private appended: CommittedEvent[] = [];

  constructor(
    private readonly sql: Sql,
    private readonly now: () => number,
  ) {}

  /**
   * Append to the push stream; the event reaches the fan-out once its group commits. `origin`: the
   * device whose send appended it (that device is not pushed it back).
   */
  append(conversationId: string, event: PushEvent, origin?: EventOrigin): void {
    const now = this.now();
    const user = origin?.userId ?? null;
    const device = origin?.deviceId ?? null;
    const cursor =
      event.kind === 'message'
        ? this.sql("INSERT INTO events (conversation_id, kind, seq, created_at, origin_user, origin_device) VALUES (?, 'message', ?, ?, ?, ?)")
            .run(conversationId, event.message.seq, now, user, device).lastInsertRowid
        : this.sql('INSERT INTO events (conversation_id, kind, payload, created_at, origin_user, origin_device) VALUES (?, ?, ?, ?, ?, ?)')
            .run(conversationId, event.kind, JSON.stringify(event), now, user, device).lastInsertRowid;
    this.appended.push({ conversationId, cursor: Number(cursor), event, ...(origin ? { origin } : {}) });
  }

  /** Run one write's work; if it throws (its savepoint rolls back), the events it appended go too. */
  withinWrite<T>(work: () => T): T {
    const mark = this.appended.length;
    try {
      return work();
    } catch (err) {
      this.appended.length = mark;
      throw err;
    }
  }

  /** The group committed: its events, in cursor order; the next group starts with none. */
  takeCommitted(): CommittedEvent[] {
    const events = this.appended;
    this.appended = [];
    return events;
  }

  /** The group's commit failed: none of its events happened. */
  dropGroup(): void {
    this.appended = [];
  }

  async seqsAt(user: Identity, cursor: number, afterId: string | undefined, limit: number) {
    const rows = this.sql(
        // A conversation's message events carry ascending seqs, so the first one after the cursor
        // is one past the highest seq held then; with none after it, every message was. Read from
        // the events after the cursor, so events pruned before it do not matter.
        `SELECT m.conversation_id AS conversationId,
                COALESCE((SELECT MIN(e.seq) - 1 FROM events e
                           WHERE e.conversation_id = m.conversation_id AND e.kind = 'message' AND e.pos > ?), c.last_seq) AS seq
           FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE ${asParty('m.')} AND m.conversation_id > ?
          GROUP BY m.conversation_id
          ORDER BY m.conversation_id
          LIMIT ?`,
      )
      .all(cursor, ...partyParams(user), afterId ?? '', limit + 1) as { conversationId: string; seq: number }[];
    return { conversations: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  async eventsAfter(user: Identity, cursor: number, limit: number) {
    const rows = this.sql(
        // The page of events is chosen first (LIMIT inside), then joined to its messages: joining
        // every event after the cursor before the LIMIT made a reader far behind pay for the whole
        // backlog on every page (measured: ~1 ms per event at 6,000 behind, 46 µs this way).
        `SELECT e.pos, e.kind, e.payload, e.conversation_id AS ev_conversation_id, e.origin_user, e.origin_device, m.*
           FROM (SELECT pos, kind, payload, conversation_id, seq, origin_user, origin_device FROM events
                  WHERE pos > ?
                    AND conversation_id IN (SELECT conversation_id FROM members WHERE ${asParty()})
                  ORDER BY pos
                  LIMIT ?) e
           LEFT JOIN messages m ON e.kind = 'message' AND m.conversation_id = e.conversation_id AND m.seq = e.seq
          ORDER BY e.pos`,
      )
      .all(cursor, ...partyParams(user), limit + 1) as EventRow[];
    const events: StoredEvent[] = rows.slice(0, limit).map((r) => ({ cursor: r.pos, event: toPushEvent(r), ...toOrigin(r) }));
    return { events, hasMore: rows.length > limit };
  }

  async streamHead(): Promise<number> {
    // AUTOINCREMENT's record: the highest cursor ever assigned, which pruning does not lower.
    return (this.sql("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
  }

  async headCursor(user: Identity): Promise<number> {
    const held = this.sql(
        `SELECT COALESCE(MAX(pos), 0) FROM events
          WHERE conversation_id IN (SELECT conversation_id FROM members WHERE ${asParty()})`,
      )
      .pluck()
      .get(...partyParams(user)) as number;
    // Pruning must not lower it: a device at the head would otherwise be told its cursor is ahead.
    const pruned = this.sql(
        `SELECT COALESCE(MAX(c.pruned_pos), 0) FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE ${asParty('m.')}`,
      )
      .pluck()
      .get(...partyParams(user)) as number;
    return Math.max(held, pruned);
  }
}
