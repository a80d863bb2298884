/**
 * Fan-out of new events to the connections that should see them. The in-process hub is the
 * embedded default; a multi-node deployment replaces it with one backed by a message bus, keeping
 * the same two methods.
 */
import type { PushEvent } from '../../schema';
import type { EventOrigin } from '../store/Store';

export interface Subscriber {
  /** A new event was committed for this user. Called in commit order. `origin`: the device whose send appended it. */
  notify(cursor: number, event: PushEvent, origin?: EventOrigin): void;
  /** An event may have been committed for this user without a notify: read what follows from the database. */
  missed(): void;
}

export interface Hub {
  subscribe(userId: string, subscriber: Subscriber): () => void;
  /** Must be called in commit (cursor) order: subscribers skip cursors they have passed. */
  publish(userIds: readonly string[], cursor: number, event: PushEvent, origin?: EventOrigin): void;
  /** An event could not be published (its recipients are unknown): every subscriber reads the database. */
  missedAll(): void;
}

export class LocalHub implements Hub {
  private readonly byUser = new Map<string, Set<Subscriber>>();

  subscribe(userId: string, subscriber: Subscriber): () => void {
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0) this.byUser.delete(userId);
    };
  }

  publish(userIds: readonly string[], cursor: number, event: PushEvent, origin?: EventOrigin): void {
    for (const id of userIds) {
      for (const s of this.byUser.get(id) ?? []) s.notify(cursor, event, origin);
    }
  }

  missedAll(): void {
    for (const set of this.byUser.values()) for (const s of set) s.missed();
  }
}
