/**
 * Carries each node's commits to the other nodes over the broker, and what they publish into this
 * node's StreamFeed. A message is the events of one commit, tagged with the node that made it (a
 * node hears its own publishes and skips them: its feed had them first). A message that does not
 * parse is dropped: the feed reads the stream from the database when it sees the gap.
 */
import { randomBytes } from 'node:crypto';
import type { CommittedEvent } from '../store/Store';
import type { Broker } from './Broker';
import type { StreamFeed } from './StreamFeed';

/**
 * The channel of one database's stream, named by its epoch id (random, made with the database):
 * clusters, or test servers, sharing one Redis never hear each other's cursors.
 */
export const streamChannel = (epoch: string): string => `parley:${epoch}:stream`;

interface StreamMessage {
  node: string;
  events: readonly CommittedEvent[];
}

export class StreamRelay {
  /** This process, as the other nodes see it in the messages. */
  readonly nodeId = randomBytes(6).toString('hex');
  private feed: StreamFeed | null = null;
  /** Messages heard from other nodes (tests and metrics read it). */
  heard = 0;

  private readonly channel: string;

  constructor(
    private readonly broker: Broker,
    /** The database's epoch id (Store.epoch). */
    epoch: string,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.channel = streamChannel(epoch);
  }

  /** Start feeding what other nodes publish into `feed`. */
  async start(feed: StreamFeed): Promise<void> {
    this.feed = feed;
    await this.broker.subscribe(this.channel, (message) => this.receive(message));
  }

  /** This node's commit, delivered here: tell the others. */
  publish(events: readonly CommittedEvent[]): void {
    this.broker.publish(this.channel, JSON.stringify({ node: this.nodeId, events } satisfies StreamMessage));
  }

  private receive(message: string): void {
    let parsed: StreamMessage;
    try {
      parsed = JSON.parse(message) as StreamMessage;
      if (typeof parsed.node !== 'string' || !Array.isArray(parsed.events)) throw new Error('not a stream message');
    } catch (err) {
      this.log(`stream relay: dropped a message that does not parse (${String(err)})`);
      return;
    }
    if (parsed.node === this.nodeId) return;
    this.heard++;
    this.feed?.remote(parsed.events.filter((e) => Number.isSafeInteger(e.cursor) && typeof e.conversationId === 'string'));
  }
}
