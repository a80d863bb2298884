/**
 * The engine as one tab sees it: a small facade exposed over comlink on that tab's port. Every
 * method settles with a Result rather than throwing: comlink copies only an error's name, message
 * and stack across the port, and the caller needs the stable `code`.
 */
import * as Comlink from 'comlink';
import { ErrorCode, ParleyError } from '../../schema/errors';
import type { Content } from '../../schema/content';
import type { RequestParams, RequestResult, RequestType } from '../../schema/requests';
import type { ConnectionState } from '../connection/state';
import type { LocalFile, MediaDraft } from '../media/types';
import type { StoreDiagnostics } from '../store/diagnostics';
import type { LocalMessage } from '../store/types';
import type { LiveQuery } from '../sync/LiveQueries';
import type { SyncLayer } from '../sync/SyncLayer';
import type { AttachRequest, AttachResult, DeskView, EngineApi, Settled, SignalsSnapshot, TabCallbacks, TabView } from '../protocol';
import { check } from '../../schema/codec';
import { QuickReply as QuickReplySchema, type QuickReply } from '../../schema/desk';
import type { EngineHost, Running } from './EngineHost';

async function settle<T>(fn: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (ParleyError.is(err)) return { ok: false, error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
    return { ok: false, error: { code: ErrorCode.INTERNAL, message: String((err as Error)?.message ?? err) } };
  }
}

export class TabSession implements EngineApi {
  private running: Running | null = null;
  private tabId: string | null = null;

  constructor(private readonly host: EngineHost) {}

  attach(req: AttachRequest, callbacks: TabCallbacks, events: MessagePort): Promise<Settled<AttachResult>> {
    this.tabId = req.tabId;
    return settle(async () => {
      const running = await this.host.attach(req, callbacks, events);
      this.running = running;
      return { workerLock: this.host.workerLock, state: running.engine.getState(), durability: running.durability, encrypted: running.rekey !== undefined, rebuilt: running.rebuilt };
    });
  }

  private get attached(): Running {
    if (!this.running) throw new ParleyError(ErrorCode.CLOSED, 'attach() first');
    return this.running;
  }

  private get messaging(): SyncLayer {
    const m = this.attached.sync;
    if (!m) throw new ParleyError(ErrorCode.CLOSED, 'this engine has no local store');
    return m;
  }

  getState(): ConnectionState {
    return this.attached.engine.getState();
  }

  request<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs?: number): Promise<Settled<RequestResult<T>>> {
    return settle(() => this.attached.engine.request(type, params, timeoutMs === undefined ? {} : { timeoutMs }));
  }

  reconnect(): void {
    this.attached.engine.reconnect();
  }

  setTyping(conversationId: string, active: boolean): void {
    if (typeof conversationId === 'string') this.attached.engine.signals.setTyping(conversationId, active === true);
  }

  watchPresence(tabId: string, conversationIds: string[]): void {
    const ids = Array.isArray(conversationIds) ? conversationIds.filter((id): id is string => typeof id === 'string') : [];
    this.attached.engine.signals.watch(String(tabId), ids);
  }

  setPresence(status: 'online' | 'away'): void {
    this.attached.engine.signals.setStatus(status === 'away' ? 'away' : 'online');
  }

  signals(): SignalsSnapshot {
    return this.attached.engine.signals.snapshot();
  }

  desk(): Promise<Settled<DeskView | null>> {
    return settle(async () => this.messaging.desk.view());
  }

  assign(conversationId: string, agentId: string | null, note?: string): Promise<Settled<null>> {
    return settle(async () => {
      await this.messaging.desk.assign(String(conversationId), agentId === null ? null : String(agentId), typeof note === 'string' ? note : undefined);
      return null;
    });
  }

  saveQuickReply(reply: QuickReply): Promise<Settled<QuickReply[]>> {
    return settle(() => {
      const checked = check(QuickReplySchema, reply, ErrorCode.INVALID_PARAMS);
      if (!checked.ok) throw new ParleyError(checked.code, checked.message);
      return this.messaging.desk.saveReply(checked.value);
    });
  }

  deleteQuickReply(id: string): Promise<Settled<QuickReply[]>> {
    return settle(() => this.messaging.desk.deleteReply(String(id)));
  }

  unsentCount(): Promise<Settled<number>> {
    return settle(async () => (await this.attached.sync?.unsentCount()) ?? 0);
  }

  changeKey(key: string): Promise<Settled<null>> {
    return settle(async () => {
      if (!this.running) throw new ParleyError(ErrorCode.CLOSED, 'attach() first');
      await this.host.changeKey(key);
      return null;
    });
  }

  signOut(opts: { wipe: boolean; discardUnsent?: boolean }): Promise<Settled<{ dropped: number }>> {
    return settle(() => this.host.signOut({ wipe: opts?.wipe === true, discardUnsent: opts?.discardUnsent === true }));
  }

  setTabView(tabId: string, view: TabView): void {
    if (typeof tabId !== 'string' || typeof view !== 'object' || view === null) return;
    this.attached.notifications.setView(tabId, { visible: view.visible === true, notify: view.notify === true });
  }

  notificationShown(messageId: string): void {
    this.attached.notifications.shown(String(messageId));
  }

  send(conversationId: string, content: Content, id?: string): Promise<Settled<LocalMessage>> {
    return settle(() => this.messaging.send(conversationId, content, id));
  }

  sendMedia(conversationId: string, draft: MediaDraft, id?: string): Promise<Settled<LocalMessage>> {
    return settle(() => this.messaging.sendMedia(conversationId, draft, id));
  }

  localMedia(ref: string): Promise<Settled<LocalFile | null>> {
    return settle(() => this.messaging.localMedia(ref));
  }

  signMedia(paths: string[]): Promise<Settled<Record<string, string>>> {
    return settle(() => this.messaging.signMedia(Array.isArray(paths) ? paths.map(String) : []));
  }

  resend(id: string): Promise<Settled<null>> {
    return settle(async () => (await this.messaging.resend(id), null));
  }

  deletePending(id: string): Promise<Settled<null>> {
    return settle(async () => (await this.messaging.deletePending(id), null));
  }

  recall(id: string): Promise<Settled<null>> {
    return settle(async () => (await this.messaging.recall(String(id)), null));
  }

  deleteForMe(senderId: string, id: string): Promise<Settled<null>> {
    return settle(async () => (await this.messaging.deleteForMe(String(senderId), String(id)), null));
  }

  markRead(conversationId: string): Promise<Settled<null>> {
    return settle(async () => (await this.messaging.markRead(conversationId), null));
  }

  refresh(conversationId: string): Promise<Settled<null>> {
    return settle(async () => (await this.messaging.refresh(conversationId), null));
  }

  loadOlder(conversationId: string, beforeSeq: number, limit: number): Promise<Settled<LocalMessage[]>> {
    return settle(() => this.messaging.loadOlder(conversationId, beforeSeq, limit));
  }

  search(query: string, limit: number): Promise<Settled<LocalMessage[]>> {
    return settle(() => this.messaging.search(query, limit));
  }

  diagnostics(): Promise<Settled<StoreDiagnostics>> {
    return settle(() => this.messaging.diagnostics());
  }

  watch(query: LiveQuery): Promise<Settled<string>> {
    return settle(async () => {
      const tabId = this.tabId!;
      let id = '';
      id = this.messaging.live.add(tabId, query, (update) => this.host.post(tabId, { kind: 'live', id, update }));
      return id;
    });
  }

  unwatch(id: string): void {
    this.attached.sync?.live.remove(id);
  }

  detach(): void {
    if (this.tabId) this.host.detach(this.tabId);
    this.running = null;
  }
}

/** Expose a fresh TabSession on a port (one per connecting tab). */
export function serveTab(host: EngineHost, port: Comlink.Endpoint): void {
  Comlink.expose(new TabSession(host), port);
}
