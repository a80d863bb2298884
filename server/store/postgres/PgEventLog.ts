/**
 * The push stream on PostgreSQL (table `events`, cursors from `stream.head`): what a user's devices
 * read back by cursor, and the whole stream by range, which a node reads to fill a gap in what the
 * other nodes published (ClusterFeed).
 */
import type { Identity } from '../../auth/tokens';
import { toOrigin, toPushEvent, type EventRow } from '../rows';
import type { CommittedEvent, StoredEvent, Store } from '../Store';
import { asParty, partyParams } from './party';
import type { Query } from './PgConversations';

const toCommitted = (r: EventRow): CommittedEvent => ({ cursor: r.pos, conversationId: r.ev_conversation_id, event: toPushEvent(r), ...toOrigin(r) });

export class PgEventLog implements Pick<Store, 'eventsAfter' | 'headCursor' | 'seqsAt' | 'streamHead'> {
  constructor(private readonly query: Query) {}

  async seqsAt(user: Identity, cursor: number, afterId: string | undefined, limit: number) {
    // A conversation's message events carry ascending seqs: the first after the cursor is one past
    // the highest seq held then; with none after it, every message was (see the SQLite store).
    const rows = await this.query<{ conversationId: string; seq: number }>(
      `SELECT c.id AS "conversationId",
              COALESCE((SELECT MIN(e.seq) - 1 FROM events e
                         WHERE e.conversation_id = c.id AND e.kind = 'message' AND e.pos > $1), c.last_seq) AS seq
         FROM conversations c
        WHERE c.id IN (SELECT conversation_id FROM members WHERE ${asParty(2, 3)}) AND c.id > $4
        ORDER BY c.id
        LIMIT $5`,
      [cursor, ...partyParams(user), afterId ?? '', limit + 1],
    );
    return { conversations: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  async eventsAfter(user: Identity, cursor: number, limit: number) {
    const rows = await this.query<EventRow>(
      // The page of events is chosen first, then joined to its messages.
      `SELECT e.pos, e.kind, e.payload, e.conversation_id AS ev_conversation_id, e.origin_user, e.origin_device, m.*
         FROM (SELECT pos, kind, payload, conversation_id, seq, origin_user, origin_device FROM events
                WHERE pos > $1
                  AND conversation_id IN (SELECT conversation_id FROM members WHERE ${asParty(2, 3)})
                ORDER BY pos
                LIMIT $4) e
         LEFT JOIN messages m ON e.kind = 'message' AND m.conversation_id = e.conversation_id AND m.seq = e.seq
        ORDER BY e.pos`,
      [cursor, ...partyParams(user), limit + 1],
    );
    const events: StoredEvent[] = rows.slice(0, limit).map((r) => {
      const { conversationId: _, ...stored } = toCommitted(r);
      return stored;
    });
    return { events, hasMore: rows.length > limit };
  }

  /** Every event with a cursor in (after, upTo], ascending, at most `limit`: what the feed fills a gap with. */
  async between(after: number, upTo: number, limit: number): Promise<CommittedEvent[]> {
    const rows = await this.query<EventRow>(
      `SELECT e.pos, e.kind, e.payload, e.conversation_id AS ev_conversation_id, e.origin_user, e.origin_device, m.*
         FROM (SELECT * FROM events WHERE pos > $1 AND pos <= $2 ORDER BY pos LIMIT $3) e
         LEFT JOIN messages m ON e.kind = 'message' AND m.conversation_id = e.conversation_id AND m.seq = e.seq
        ORDER BY e.pos`,
      [after, upTo, limit],
    );
    return rows.map(toCommitted);
  }

  async streamHead(): Promise<number> {
    // The counter: the highest cursor ever committed, which pruning does not lower.
    const [row] = await this.query<{ head: number }>('SELECT head FROM stream WHERE id = 1');
    return row!.head;
  }

  async headCursor(user: Identity): Promise<number> {
    // Pruning must not lower it: a device at the head would otherwise be told its cursor is ahead.
    const [row] = await this.query<{ head: number }>(
      `SELECT GREATEST(
          (SELECT COALESCE(MAX(pos), 0) FROM events WHERE conversation_id IN (SELECT conversation_id FROM members WHERE ${asParty(1, 2)})),
          (SELECT COALESCE(MAX(c.pruned_pos), 0) FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE ${asParty(1, 2, 'm.')})
        ) AS head`,
      partyParams(user),
    );
    return row!.head;
  }
}
