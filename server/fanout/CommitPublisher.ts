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
}

export class CommitPublisher {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CommitPublisherDeps) {}

  /** The store's onCommitted listener. */
  committed(events: readonly CommittedEvent[]): void {
    const { recipients, hub, recent, log } = this.deps;
    for (const e of events) {
      this.chain = this.chain
        .then(async () => {
          const userIds = await recipients(e.conversationId);
          recent.append(e.cursor, userIds, e.event, e.origin);
          hub.publish(userIds, e.cursor, e.event, e.origin);
        })
        .catch((err: unknown) => {
          // The ring would have a hole where this event is: sockets read the database until it refills.
          recent.clear();
          log(`publish failed: ${String(err)}`);
        });
    }
  }

  /** Resolves once every event committed so far has been published. */
  published(): Promise<void> {
    return this.chain;
  }
}
