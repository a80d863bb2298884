/**
 * The ephemeral side of the server (protocol 5): presence and typing. Nothing here is stored or
 * replayed; on a cluster it travels between nodes over the broker, at most once (a lost presence
 * update is mended by the next full gossip, a lost typing notice by the sender's next one).
 */
import { randomBytes } from 'node:crypto';
import type { DeskChange, DeskFrame, Member, PresenceFrame, TypingNoticeFrame } from '../../schema';
import type { Broker } from '../cluster/Broker';
import { PresenceBoard, type PresenceHolder } from './PresenceBoard';
import { PresenceGossip } from './PresenceGossip';
import { PresenceWatchers } from './PresenceWatchers';
import { TypingRelay, type TypingTarget } from './TypingRelay';

/** A connected socket as the signals see it. */
export interface SignalSocket {
  readonly userId: string;
  /** The shop this socket's user is an agent of, or null. */
  readonly agentOf: string | null;
  /** Sent only to sockets whose protocol has signals; dropped for the others. */
  signal(frame: TypingNoticeFrame | PresenceFrame | DeskFrame): void;
}

export interface SignalsDeps {
  /** A conversation's members, as the store lists them. */
  members(conversationId: string): Promise<readonly Pick<Member, 'id' | 'kind'>[]>;
  /** This node's sockets of a user. */
  socketsOf(userId: string): Iterable<SignalSocket>;
  broker: Broker | null;
  epoch: string;
  now: () => number;
  log: (message: string) => void;
}

const MEMBERS_TTL_MS = 30_000;
const MEMBERS_CACHED = 10_000;

export class Signals {
  readonly presence = new PresenceBoard();
  readonly watchers = new PresenceWatchers();
  readonly typing: TypingRelay;
  private readonly gossip: PresenceGossip | null;
  private readonly attached = new Map<SignalSocket, PresenceHolder>();
  /** This node, as the others see it in what it publishes. */
  private readonly nodeId = randomBytes(6).toString('hex');
  /** The shop of each agent seen present, so their going offline still reaches the shop. */
  private readonly agentShops = new Map<string, string>();
  /** This node's sockets of each shop's agents. */
  private readonly agents = new Map<string, Set<SignalSocket>>();
  /**
   * Each conversation's members, kept MEMBERS_TTL_MS: a typing notice per second per typist must not
   * be a database query each. Members are only ever added; one added a moment ago may miss a notice.
   */
  private readonly members = new Map<string, { at: number; members: Promise<{ userIds: string[]; shopIds: string[] }> }>();

  private readonly deskChannel: string;

  constructor(private readonly deps: SignalsDeps) {
    this.deskChannel = `parley:${deps.epoch}:desk`;
    this.presence.onChange((changes) => {
      this.watchers.changed(changes);
      // A shop's agents see their colleagues come and go. Every node's board hears of every change,
      // so each tells its own sockets only.
      for (const c of changes) {
        const shopId = c.kind === 'user' ? (this.presence.shopOf(c.id) ?? this.agentShops.get(c.id)) : undefined;
        if (shopId) this.deliverToShop(shopId, { t: 'desk', shopId, change: { kind: 'agent', agentId: c.id, state: c.state } });
        if (c.kind === 'user' && c.state === 'offline') this.agentShops.delete(c.id);
        else if (shopId) this.agentShops.set(c.id, shopId);
      }
    });
    this.typing = new TypingRelay({
      members: (id) => this.membersOf(id),
      deliver: (target) => this.deliverTyping(target),
      broker: deps.broker,
      epoch: deps.epoch,
      nodeId: this.nodeId,
      log: deps.log,
    });
    this.gossip = deps.broker ? new PresenceGossip(deps.broker, deps.epoch, this.presence, this.nodeId, deps.now, deps.log) : null;
  }

  async start(): Promise<void> {
    await this.deps.broker?.subscribe(this.deskChannel, (message) => this.heardDesk(message));
    await this.typing.start();
    await this.gossip?.start();
  }

  stop(): void {
    this.gossip?.stop();
  }

  /** A socket authenticated: its user is present, and an agent hears their shop's conversations. */
  attach(socket: SignalSocket): void {
    if (this.attached.has(socket)) return;
    const holder = { userId: socket.userId, shopId: socket.agentOf };
    this.attached.set(socket, holder);
    this.presence.connected(holder);
    if (holder.shopId === null) return;
    let set = this.agents.get(holder.shopId);
    if (!set) this.agents.set(holder.shopId, (set = new Set()));
    set.add(socket);
  }

  /** The socket closed (it may no longer say whose it was: what attach saw is used). */
  detach(socket: SignalSocket): void {
    const holder = this.attached.get(socket);
    if (!holder) return;
    this.attached.delete(socket);
    this.watchers.unwatch(socket);
    this.presence.disconnected(holder);
    const set = holder.shopId === null ? undefined : this.agents.get(holder.shopId);
    set?.delete(socket);
    if (set?.size === 0) this.agents.delete(holder.shopId!);
  }

  /** Tell every agent of the shop, on every node, what changed at its desk. */
  toShop(shopId: string, change: DeskChange): void {
    const frame: DeskFrame = { t: 'desk', shopId, change };
    this.deliverToShop(shopId, frame);
    this.deps.broker?.publish(this.deskChannel, JSON.stringify({ node: this.nodeId, frame }));
  }

  private deliverToShop(shopId: string, frame: DeskFrame): void {
    for (const socket of this.agents.get(shopId) ?? []) socket.signal(frame);
  }

  private heardDesk(text: string): void {
    try {
      const m = JSON.parse(text) as { node: string; frame: DeskFrame };
      if (m.node === this.nodeId) return;
      if (m.frame?.t !== 'desk' || typeof m.frame.shopId !== 'string') throw new Error('not a desk message');
      this.deliverToShop(m.frame.shopId, m.frame);
    } catch (err) {
      this.deps.log(`desk relay: dropped a message that does not parse (${String(err)})`);
    }
  }

  private membersOf(conversationId: string): Promise<{ userIds: string[]; shopIds: string[] }> {
    const now = this.deps.now();
    const cached = this.members.get(conversationId);
    if (cached && now - cached.at < MEMBERS_TTL_MS) return cached.members;
    if (this.members.size >= MEMBERS_CACHED) this.members.clear();
    const members = this.deps.members(conversationId).then((list) => ({
      userIds: list.filter((m) => m.kind === 'user').map((m) => m.id),
      shopIds: list.filter((m) => m.kind === 'shop').map((m) => m.id),
    }));
    this.members.set(conversationId, { at: now, members });
    members.catch(() => this.members.delete(conversationId));
    return members;
  }

  private deliverTyping(target: TypingTarget): void {
    const sockets = new Set<SignalSocket>();
    for (const userId of target.userIds) for (const s of this.deps.socketsOf(userId)) sockets.add(s);
    for (const shopId of target.shopIds) for (const s of this.agents.get(shopId) ?? []) sockets.add(s);
    for (const socket of sockets) {
      if (socket.userId === target.exceptUserId) continue;
      if (target.exceptShopId !== null && socket.agentOf === target.exceptShopId) continue;
      socket.signal(target.frame);
    }
  }
}
