/**
 * Presence between the nodes of a cluster, over the broker: each node says who is connected to it
 * as that changes, and all of it every GOSSIP_MS, so a lost message is mended by the next full one.
 * A node not heard from for EXPIRE_MS (stopped, or cut off from Redis) is forgotten: its users count
 * as offline until it speaks again. Nothing here is stored: presence is what is connected now.
 */
import type { Broker } from '../cluster/Broker';
import type { PresenceBoard, UserPresence } from './PresenceBoard';

export const presenceChannel = (epoch: string): string => `parley:${epoch}:presence`;

const GOSSIP_MS = 5_000;
const EXPIRE_MS = 3 * GOSSIP_MS;
/** Users per message: a node with more sends its full table in several. */
const USERS_PER_MESSAGE = 2_000;

interface GossipMessage {
  node: string;
  full: boolean;
  /** The first message of a full table (the others add to it). */
  first?: boolean;
  users: [string, UserPresence | null][];
}

export class PresenceGossip {
  private timer: NodeJS.Timeout | null = null;
  private readonly channel: string;

  constructor(
    private readonly broker: Broker,
    epoch: string,
    private readonly board: PresenceBoard,
    /** This node, as the others see it in the messages. */
    private readonly nodeId: string,
    private readonly now: () => number,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.channel = presenceChannel(epoch);
  }

  async start(): Promise<void> {
    this.board.onLocalChange((userId, presence) => this.send({ node: this.nodeId, full: false, users: [[userId, presence]] }));
    await this.broker.subscribe(this.channel, (message) => this.receive(message));
    this.timer = setInterval(() => this.tick(), GOSSIP_MS);
    this.timer.unref();
    this.sendAll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // The others forget this node at once instead of after EXPIRE_MS.
    this.send({ node: this.nodeId, full: true, first: true, users: [] });
  }

  private tick(): void {
    this.sendAll();
    this.board.expire(this.now() - EXPIRE_MS);
  }

  private sendAll(): void {
    const users = this.board.localUsers();
    for (let i = 0; i === 0 || i < users.length; i += USERS_PER_MESSAGE) {
      this.send({ node: this.nodeId, full: true, first: i === 0, users: users.slice(i, i + USERS_PER_MESSAGE) });
    }
  }

  private send(message: GossipMessage): void {
    this.broker.publish(this.channel, JSON.stringify(message));
  }

  private receive(text: string): void {
    let m: GossipMessage;
    try {
      m = JSON.parse(text) as GossipMessage;
      if (typeof m.node !== 'string' || !Array.isArray(m.users)) throw new Error('not a presence message');
    } catch (err) {
      this.log(`presence gossip: dropped a message that does not parse (${String(err)})`);
      return;
    }
    if (m.node === this.nodeId) return;
    const users = m.users.filter(
      (u): u is [string, UserPresence | null] =>
        Array.isArray(u) && typeof u[0] === 'string' && (u[1] === null || (typeof u[1] === 'object' && (u[1].status === 'online' || u[1].status === 'away'))),
    );
    // A full table's later parts add to its first.
    this.board.heard(m.node, users, m.full && m.first !== false, this.now());
  }
}
