/**
 * Typing notices: from one member's device to the other members' connected devices, on this node
 * and, over the broker, on the others. Never stored: a device that is not connected as it happens
 * never hears of it. The sender's own devices (for a shop: every agent of it) are not told.
 */
import type { TypingNoticeFrame } from '../../schema';
import type { Broker } from '../cluster/Broker';

export const signalChannel = (epoch: string): string => `parley:${epoch}:typing`;

/**
 * Who hears a notice: these users' devices and these shops' agents, except the sender's side. Shops
 * are expanded to their agents where the notice is delivered: an agent who connected a moment ago
 * on another node is one there, whatever this node knew of the shop.
 */
export interface TypingTarget {
  userIds: string[];
  shopIds: string[];
  exceptUserId: string;
  /** When the sender spoke for a shop: none of its agents hears it. */
  exceptShopId: string | null;
  frame: TypingNoticeFrame;
}

export interface TypingRelayDeps {
  /** A conversation's members: users, and shops (whose agents speak for them). */
  members(conversationId: string): Promise<{ userIds: string[]; shopIds: string[] }>;
  /** Hand the notice to this node's matching sockets. */
  deliver(target: TypingTarget): void;
  broker: Broker | null;
  epoch: string;
  /** This node, as the others see it in the messages (a node hears its own publishes and skips them). */
  nodeId: string;
  log?: (message: string) => void;
}

export class TypingRelay {
  private readonly channel: string;
  /** Notices relayed (tests and metrics read it). */
  relayed = 0;

  constructor(private readonly deps: TypingRelayDeps) {
    this.channel = signalChannel(deps.epoch);
  }

  async start(): Promise<void> {
    await this.deps.broker?.subscribe(this.channel, (message) => this.receive(message));
  }

  /**
   * `sender` typed (or stopped) in a conversation they are a party of, as `party` (their user id,
   * or their shop's id when an agent speaks for the shop).
   */
  async relay(sender: { userId: string; shopId: string | null }, party: string, conversationId: string, active: boolean): Promise<void> {
    const asShop = party !== sender.userId;
    const target: TypingTarget = {
      ...(await this.deps.members(conversationId)),
      exceptUserId: sender.userId,
      exceptShopId: asShop ? party : null,
      frame: { t: 'typing', conversationId, from: party, fromKind: asShop ? 'shop' : 'user', active },
    };
    this.relayed++;
    this.deps.deliver(target);
    this.deps.broker?.publish(this.channel, JSON.stringify({ node: this.deps.nodeId, target }));
  }

  private receive(text: string): void {
    try {
      const m = JSON.parse(text) as { node: string; target: TypingTarget };
      if (m.node === this.deps.nodeId) return;
      const t = m.target;
      if (!Array.isArray(t?.userIds) || !Array.isArray(t.shopIds) || t.frame?.t !== 'typing') throw new Error('not a typing message');
      this.deps.deliver(t);
    } catch (err) {
      this.deps.log?.(`typing relay: dropped a message that does not parse (${String(err)})`);
    }
  }
}
