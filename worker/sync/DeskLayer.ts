/**
 * The service desk on an agent's device: the shop's desk as the server last said (loaded on every
 * connection, kept current by its `desk` frames), and the desk actions taken here (take, transfer,
 * queue) kept in the local database until the server applied them, sent in order, once each (the
 * server applies an action once per actionId, so one sent again after a lost answer is harmless).
 * Every change is emitted as the whole view, queued actions applied on top.
 */
import { ErrorCode, ParleyError, type Assignment, type DeskChange, type QuickReply, type RequestParams, type RequestResult, type RequestType } from '../../schema';
import type { EnginePort } from '../engine/Engine';
import type { Platform } from '../platform';
import type { DeskView, EngineEvent } from '../protocol';
import type { DeskAction } from '../store/deskOutbox';
import type { LocalStore } from '../store/LocalStore';

export interface DeskLayerDeps {
  db: LocalStore;
  engine: EnginePort;
  platform: Platform;
  emit(event: EngineEvent): void;
}

/** Answers that say the action can never be applied: it is dropped (and reported), not retried. */
const PERMANENT: readonly string[] = [ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.INVALID_PARAMS];

type Server = RequestResult<'desk.state'>;

export class DeskLayer {
  private server: Server | null = null;
  private queue: DeskAction[] = [];
  private loaded: Promise<void>;
  private flushing = false;

  constructor(private readonly deps: DeskLayerDeps) {
    this.loaded = deps.db.deskActions().then(
      (actions) => void (this.queue = actions),
      () => {},
    );
    deps.engine.onEvent((e) => this.onEvent(e));
  }

  /** The desk now, or null when this user is no shop's agent (or it was never loaded). */
  view(): DeskView | null {
    const s = this.server;
    if (!s) return null;
    const byConversation = new Map<string, DeskView['assignments'][number]>(s.assignments.map((a) => [a.conversationId, a]));
    for (const a of this.queue) {
      const before = byConversation.get(a.conversationId);
      byConversation.set(a.conversationId, { conversationId: a.conversationId, agentId: a.agentId, note: a.note, by: before?.by ?? null, updatedAt: a.createdAt, queued: true });
    }
    return { shopId: s.shopId, agents: s.agents, assignments: [...byConversation.values()], quickReplies: s.quickReplies, queued: this.queue.length };
  }

  async assign(conversationId: string, agentId: string | null, note?: string): Promise<void> {
    await this.loaded;
    if (!this.server) throw new ParleyError(ErrorCode.FORBIDDEN, "the desk is for a shop's agents (and known once connected)");
    const action: DeskAction = { actionId: crypto.randomUUID(), conversationId, agentId, note: note?.trim() ? note.trim() : null, createdAt: this.deps.platform.clock.now() };
    if (!(await this.deps.db.queueDeskAction(action))) throw new ParleyError(ErrorCode.TOO_MANY_PENDING, 'too many desk actions wait for the network');
    this.queue.push(action);
    this.emitView();
    void this.flush();
  }

  async saveReply(reply: QuickReply): Promise<QuickReply[]> {
    const { quickReplies } = await this.request('desk.replies.save', { reply });
    this.setReplies(quickReplies);
    return quickReplies;
  }

  async deleteReply(id: string): Promise<QuickReply[]> {
    const { quickReplies } = await this.request('desk.replies.delete', { id });
    this.setReplies(quickReplies);
    return quickReplies;
  }

  private onEvent(e: EngineEvent): void {
    if (e.type === 'connect_success') {
      const s = this.deps.engine.state();
      if (s.status === 'online' && s.role === 'merchant' && s.shopId) void this.load();
    } else if (e.type === 'desk_change') {
      this.apply(e.change);
    }
  }

  /** Read the desk anew (each connection: changes while offline were not heard), then send what waits. */
  private async load(): Promise<void> {
    try {
      this.server = await this.request('desk.state', {});
    } catch {
      return; // the next connection tries again
    }
    this.emitView();
    await this.flush();
  }

  private apply(change: DeskChange): void {
    const s = this.server;
    if (!s) return;
    if (change.kind === 'assignment') this.setAssignment(change.assignment);
    else if (change.kind === 'replies') s.quickReplies = change.quickReplies;
    else s.agents = s.agents.map((a) => (a.id === change.agentId ? { ...a, state: change.state } : a));
    this.emitView();
  }

  private setAssignment(a: Assignment): void {
    const s = this.server;
    if (!s) return;
    s.assignments = [a, ...s.assignments.filter((x) => x.conversationId !== a.conversationId)];
  }

  private setReplies(quickReplies: QuickReply[]): void {
    if (!this.server) return;
    this.server.quickReplies = quickReplies;
    this.emitView();
  }

  /** Send queued actions in order while online; stop at the first that may succeed later. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      await this.loaded;
      while (this.queue.length > 0 && this.deps.engine.state().status === 'online') {
        const a = this.queue[0]!;
        try {
          const { assignment } = await this.request('desk.assign', {
            actionId: a.actionId,
            conversationId: a.conversationId,
            agentId: a.agentId,
            ...(a.note !== null ? { note: a.note } : {}),
          });
          this.setAssignment(assignment);
        } catch (err) {
          const code = ParleyError.is(err) ? err.code : ErrorCode.INTERNAL;
          if (!PERMANENT.includes(code)) return;
          this.deps.emit({ type: 'desk_error', conversationId: a.conversationId, code, message: (err as Error).message });
        }
        await this.deps.db.removeDeskAction(a.actionId);
        this.queue.shift();
        this.emitView();
      }
    } finally {
      this.flushing = false;
    }
  }

  private emitView(): void {
    const desk = this.view();
    if (desk) this.deps.emit({ type: 'desk', desk });
  }

  private request<T extends RequestType>(type: T, params: RequestParams<T>): Promise<RequestResult<T>> {
    return this.deps.engine.request(type, params);
  }
}
