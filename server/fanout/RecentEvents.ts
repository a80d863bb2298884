/**
 * The newest events, as they were published, kept in memory so a socket a little behind reads them
 * from here instead of the database. Under load a socket's push window fills and its pushes are
 * sent from its backlog: before this, each such read was a query that joined every event to its
 * message and parsed its content again, per socket (the busiest function of a loaded server). From
 * here every socket gets the same event object, so its frame is also encoded once.
 *
 * It answers only for cursors it covers: it holds every event published after `floor` (the cursor
 * before the first one it was given, then the newest it dropped). A socket further behind reads
 * the database until it is past the floor.
 */
import type { PushEvent } from '../../schema';
import type { EventOrigin, StoredEvent } from '../store/Store';

interface Entry {
  cursor: number;
  recipients: ReadonlySet<string>;
  event: PushEvent;
  origin?: EventOrigin;
}

export class RecentEvents {
  /** Held events are entries[start..]; dropped ones are cut off in bulk, not one shift each. */
  private entries: Entry[] = [];
  private start = 0;
  /** Every event published with a cursor above this is held; null until the first one. */
  private floor: number | null = null;

  /** @throws RangeError when capacity is not a positive integer. */
  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Called in cursor (commit) order, before the event is published. */
  append(cursor: number, recipients: readonly string[], event: PushEvent, origin?: EventOrigin): void {
    const last = this.entries.length > this.start ? this.entries.at(-1) : undefined;
    if (last && cursor <= last.cursor) throw new RangeError(`events out of order: ${cursor} after ${last.cursor}`);
    if (this.floor === null) this.floor = cursor - 1;
    this.entries.push({ cursor, recipients: new Set(recipients), event, ...(origin ? { origin } : {}) });
    if (this.entries.length - this.start > this.capacity) {
      this.floor = this.entries[this.start]!.cursor;
      this.start++;
      if (this.start >= this.capacity) {
        this.entries = this.entries.slice(this.start);
        this.start = 0;
      }
    }
  }

  /**
   * Forget everything: an event could not be published (its recipients were not found), so what
   * follows would have a hole. Until the next event, every read goes to the database.
   */
  clear(): void {
    this.entries = [];
    this.start = 0;
    this.floor = null;
  }

  /**
   * The user's events after `cursor`, at most `limit` (hasMore when there are others), or null when
   * events after `cursor` may have been dropped (read the database then). Events committed but not
   * published yet are not here; their publish notifies the socket, which reads again.
   */
  after(userId: string, cursor: number, limit: number): { events: StoredEvent[]; hasMore: boolean } | null {
    if (this.floor === null || cursor < this.floor) return null;
    const events: StoredEvent[] = [];
    for (let i = this.firstAfter(cursor); i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (!e.recipients.has(userId)) continue;
      if (events.length === limit) return { events, hasMore: true };
      events.push({ cursor: e.cursor, event: e.event, ...(e.origin ? { origin: e.origin } : {}) });
    }
    return { events, hasMore: false };
  }

  /** Index of the first entry with a cursor above `cursor` (binary search: cursors ascend). */
  private firstAfter(cursor: number): number {
    let lo = this.start;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.cursor <= cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
