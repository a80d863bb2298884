/**
 * The shop's service desk (protocol 5): who may see and change it, the round robin that assigns a
 * customer's new conversation, and telling the shop's agents of every change (Signals.toShop).
 * Only a shop's agents see its desk; a customer never learns who handles them or what agents noted.
 */
import { ErrorCode, ParleyError, Role, type Assignment, type QuickReply, type RequestResult } from '../../schema';
import type { Identity } from '../auth/tokens';
import type { Signals } from '../signals/Signals';
import type { Store } from '../store/Store';

/** Assignments a desk.state answer holds: the most recently changed. */
const STATE_ASSIGNMENTS = 500;
/** Conversations known to be assigned already (or not shop conversations), per node. */
const KNOWN_CACHED = 10_000;

export class Desk {
  /** Conversation → its shop (null: not a shop conversation), for those already handled. */
  private readonly settled = new Map<string, string | null>();

  constructor(
    private readonly store: Store,
    private readonly signals: Signals,
    private readonly log: (message: string) => void,
  ) {}

  /** The caller's shop, or FORBIDDEN: the desk is for a shop's agents only. */
  shopOf(identity: Identity): string {
    if (identity.role !== Role.MERCHANT || !identity.shopId) throw new ParleyError(ErrorCode.FORBIDDEN, "the desk is for a shop's agents");
    return identity.shopId;
  }

  async state(identity: Identity): Promise<RequestResult<'desk.state'>> {
    const shopId = this.shopOf(identity);
    const { agents, assignments, quickReplies } = await this.store.desk.state(shopId, STATE_ASSIGNMENTS);
    const presence = this.signals.presence;
    return { shopId, agents: agents.map((a) => ({ ...a, state: presence.stateOf('user', a.id) })), assignments, quickReplies };
  }

  /** Take, transfer or queue a conversation of the caller's shop, once per actionId. */
  async assign(identity: Identity, p: { actionId: string; conversationId: string; agentId: string | null; note?: string | undefined }): Promise<RequestResult<'desk.assign'>> {
    const shopId = this.shopOf(identity);
    const conversation = await this.store.getConversation(p.conversationId);
    if (!conversation || conversation.shopId !== shopId) throw new ParleyError(ErrorCode.FORBIDDEN, "not a conversation of your shop's");
    if (p.agentId !== null) {
      const agent = (await this.store.users([p.agentId])).get(p.agentId);
      if (!agent || agent.role !== Role.MERCHANT || agent.shopId !== shopId) throw new ParleyError(ErrorCode.NOT_FOUND, `no agent ${p.agentId} in your shop`);
    }
    const note = p.note?.trim() ? p.note.trim() : null;
    const outcome = await this.store.desk.assign({ actionId: p.actionId, shopId, conversationId: p.conversationId, agentId: p.agentId, note, by: identity.userId });
    this.settled.delete(p.conversationId);
    if (!outcome.duplicate) this.changed(shopId, outcome.assignment);
    return outcome;
  }

  async saveReply(identity: Identity, reply: QuickReply): Promise<QuickReply[]> {
    const shopId = this.shopOf(identity);
    const quickReplies = await this.store.desk.saveReply(shopId, reply);
    this.signals.toShop(shopId, { kind: 'replies', quickReplies });
    return quickReplies;
  }

  async deleteReply(identity: Identity, id: string): Promise<QuickReply[]> {
    const shopId = this.shopOf(identity);
    const quickReplies = await this.store.desk.deleteReply(shopId, id);
    this.signals.toShop(shopId, { kind: 'replies', quickReplies });
    return quickReplies;
  }

  /**
   * A customer's message was stored: a shop conversation nobody handles yet goes to the next online
   * agent in the shop's rotation, or to the queue. Runs after the send is answered; a failure only
   * leaves the conversation unassigned until the next message (or an agent takes it).
   */
  customerWrote(sender: Identity, conversationId: string): void {
    if (sender.role !== Role.CUSTOMER || this.settled.has(conversationId)) return;
    void this.autoAssign(conversationId).catch((err: unknown) => this.log(`desk: assigning ${conversationId} failed: ${String(err)}`));
  }

  private async autoAssign(conversationId: string): Promise<void> {
    const conversation = await this.store.getConversation(conversationId);
    const shopId = conversation?.shopId ?? null;
    if (this.settled.size >= KNOWN_CACHED) this.settled.clear();
    if (shopId === null) {
      this.settled.set(conversationId, null);
      return;
    }
    const assignment = await this.store.desk.autoAssign(shopId, conversationId, this.signals.presence.onlineAgents(shopId));
    this.settled.set(conversationId, shopId);
    if (assignment) this.changed(shopId, assignment);
  }

  private changed(shopId: string, assignment: Assignment): void {
    this.signals.toShop(shopId, { kind: 'assignment', assignment });
  }
}
