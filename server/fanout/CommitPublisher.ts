/**
 * Hands committed events to the fan-out, in commit order. Deliveries drop an event at or below
 * what they already sent, so events must reach the hub in cursor order: the store hands them over
 * at each commit, and this chain keeps that order across the recipient lookup. Each event is also
 * kept in the recent-events ring before it is published, so a socket that reads its backlog after
 * the notification finds it there.
 */
import type { CommittedEvent } from '../store/Store';
import type { Hub } from './Hub';
import type { RecentEvents } from './RecentEvents';

export interface CommitPublisherDeps {
  recipients(conversationId: string): Promise<string[]>;
  hub: Hub;
  recent: RecentEvents;
  log(message: string): void;
  /** Waits between tries of a recipient lookup that failed (default 50 ms doubling to 1 s, eight tries). */
  retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [50, 100, 200, 400, 800, 1000, 1000, 1000];

export class CommitPublisher {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CommitPublisherDeps) {}

  /** The store's onCommitted listener. */
  committed(events: readonly CommittedEvent[]): void {
    const { recipients, hub, recent, log } = this.deps;
    for (const e of events) {
      this.chain = this.chain
        .then(async () => {
          const userIds = await this.lookUp(() => recipients(e.conversationId));
          recent.append(e.cursor, userIds, e.event, e.origin);
          hub.publish(userIds, e.cursor, e.event, e.origin);
        })
        .catch((err: unknown) => {
          // Not announced: a socket notified of a later event would push it and pass this one by.
          // The ring would have a hole here too: it is emptied, and every socket reads the database.
          recent.clear();
          hub.missedAll();
          log(`publish failed: ${String(err)}`);
        });
    }
  }

  /**
   * The lookup, tried again while it fails (a database restarting): the chain waits, so later
   * events wait behind this one and the order holds. Past the last delay the error is thrown.
   */
  private async lookUp<T>(work: () => Promise<T>): Promise<T> {
    const delays = this.deps.retryDelaysMs ?? RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (attempt >= delays.length) throw err;
        await new Promise((r) => setTimeout(r, delays[attempt]));
      }
    }
  }

  /** Resolves once every event committed so far has been published. */
  published(): Promise<void> {
    return this.chain;
  }
}
