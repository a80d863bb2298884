/**
 * The sync layer: keeps the local database and the server in step, on top of the engine's port.
 * Local-first sends through the outbox, pushes shown on arrival and stored before they are acked,
 * gaps filled, receipts both ways, history paged from local first, and the live queries tabs share.
 */
import {
  check,
  contentBytes,
  ErrorCode,
  MAX_CONTENT_BYTES,
  ParleyError,
  RequestSchemas,
  type Content,
  type Message,
  type RequestParams,
  type RequestResult,
  type RequestType,
} from '../../schema';
import { Emitter } from '../engine/Emitter';
import type { EnginePort, Inbox, RollbackCounts } from '../engine/Engine';
import { prepareDraft } from '../media/draft';
import { defaultMediaHttp } from '../media/MediaHttp';
import { MediaUploader } from '../media/MediaUploader';
import { hasLocalRefs, uploadIdOf, withPlaceholderUrls } from '../media/refs';
import { SignedUrls } from '../media/SignedUrls';
import type { LocalFile, MediaDraft } from '../media/types';
import type { Platform } from '../platform';
import type { StoreDiagnostics } from '../store/diagnostics';
import type { LocalStore } from '../store/LocalStore';
import type { EngineEvent } from '../protocol';
import type { IngestResult, LocalMessage, PushRecord } from '../store/types';
import { CatchUpWriter, MAX_PAGES_AHEAD } from './CatchUpWriter';
import { LiveQueries, type LiveQuery, type LiveResult } from './LiveQueries';
import { OutboxRunner } from './OutboxRunner';
import { DeskLayer } from './DeskLayer';
import { ReceiptSender } from './ReceiptSender';

/**
 * Pages fetched to fill one gap or bring one conversation up to date, at most, per trigger: 10,000
 * messages, a long absence's catch-up in one go; the next push or connect goes on from there.
 */
const MAX_PAGES = 50;
const PAGE = 200;
/** Messages fetched when a conversation is opened here for the first time. */
const FIRST_PAGE = 50;
/** Pages of conversations.seqsAt a rollback reads at most (PAGE each). */
const MAX_ROLLBACK_PAGES = 500;
/** Conversations per sync.head page, and pages of it a head load reads at most (10,000 conversations). */
const HEAD_PAGE = 25;
const MAX_HEAD_PAGES = 400;

/** Where media goes: the server's HTTP base and who provides tokens (the tabs). */
export interface MediaSetup {
  baseUrl: string;
  getToken(fresh: boolean): Promise<string>;
}

export interface SyncDeps {
  store: LocalStore;
  platform: Platform;
  /** The engine this layer stores pushes for and sends through. */
  engine: EnginePort;
  media?: MediaSetup | null;
}

export class SyncLayer implements Inbox {
  readonly live: LiveQueries;
  /** Events of this layer (upload progress); the host merges them with the engine's. */
  readonly events = new Emitter<EngineEvent>();
  private readonly db: LocalStore;
  private readonly platform: Platform;
  private readonly engine: EnginePort;
  /** The shop's service desk, for an agent. */
  readonly desk: DeskLayer;
  private readonly outbox: OutboxRunner;
  private readonly receipts: ReceiptSender;
  private readonly filling = new Set<string>();
  /** A rollback or rebuild in progress: what is read from the server meanwhile would be stored over history it lost. */
  private rolling: Promise<void> | null = null;
  /** The head being loaded (see {@link loadHead}), one load at a time. */
  private headLoad: Promise<void> | null = null;

  private readonly uploader: MediaUploader | null;
  private readonly signed: SignedUrls | null;

  constructor({ store: db, platform, engine, media = null }: SyncDeps) {
    this.db = db;
    this.platform = platform;
    this.engine = engine;
    this.live = new LiveQueries((q) => this.runQuery(q), platform);
    const online = () => engine.state().status === 'online';
    const http = platform.http ?? defaultMediaHttp();
    const mediaDeps = media ? { http, baseUrl: media.baseUrl, getToken: media.getToken, clock: platform.clock } : null;
    this.uploader = mediaDeps
      ? new MediaUploader({ ...mediaDeps, store: db, progress: (p) => this.events.emit({ type: 'upload', ...p }) })
      : null;
    this.signed = mediaDeps ? new SignedUrls(mediaDeps) : null;
    this.outbox = new OutboxRunner({
      store: db,
      platform,
      isOnline: online,
      // The answer settles the message here: the server need not push it back to this device.
      send: (params) => this.request('messages.send', { ...params, echo: false }),
      prepare: (item) => this.prepare(item),
      ready: (item) => !hasLocalRefs(item.content),
      sendBatch: (params) => this.request('messages.sendBatch', { ...params, echo: false }),
      changed: (conversationId) => this.live.changed([conversationId]),
      // Own sends come back as answers only (no push of them to this device): their seqs may
      // close a gap, like a push's.
      settled: (result) => this.afterIngest(result),
    });
    this.desk = new DeskLayer({ db: this.db, engine, platform, emit: (e) => this.events.emit(e) });
    this.receipts = new ReceiptSender({
      platform,
      isOnline: online,
      sendDelivered: (conversationId, upToSeq) => this.request('receipts.delivered', { conversationId, upToSeq }),
      sendRead: (conversationId, upToSeq) => this.request('conversations.markRead', { conversationId, upToSeq }),
    });
    engine.onEvent((e) => {
      if (e.type === 'connect_success') {
        this.outbox.reconnected();
        this.receipts.flushSoon();
        void this.refreshConversations();
        void this.loadHeadIfPending();
      }
    });
  }

  private request<T extends RequestType>(type: T, params: RequestParams<T>): Promise<RequestResult<T>> {
    return this.engine.request(type, params);
  }

  // ---- Inbox: shown on arrival, stored, then the engine acks ----------------------------------

  /** Others' new messages go into the views at once; the commit that stores them follows. */
  arrived(records: PushRecord[]): void {
    const shown: LocalMessage[] = [];
    for (const { event } of records) {
      // Own messages (from another device) take their state from receipts: they wait for the commit.
      if (event.kind === 'message' && event.message.senderId !== this.db.userId) shown.push(received(event.message));
    }
    this.live.preview(shown);
  }

  async store(records: PushRecord[], epoch?: string): Promise<void> {
    let result: IngestResult;
    try {
      result = await this.db.ingest(records, epoch);
    } catch (err) {
      this.live.settled(conversationsOf(records), false);
      throw err;
    }
    this.live.settled(conversationsOf(records));
    this.afterIngest(result);
  }

  /**
   * The server lost history after `to.cursor`: ask it what it still holds of each conversation,
   * then roll the local store back to that in one transaction (see worker/store/rollback.ts).
   */
  rollback(to: { cursor: number; epoch: string }): Promise<RollbackCounts> {
    const done = this.rollBackTo(to);
    this.rolling = done.then(
      () => {},
      () => {},
    );
    return done;
  }

  /**
   * The stream starts at the server's head: store that cursor (and mark the head to load) before any
   * push is stored, then load the head in the background. Resolves once the cursor is committed.
   */
  rebuild(to: { cursor: number; epoch: string }): Promise<void> {
    const done = this.db.startAtHead({ cursor: to.cursor, epoch: to.epoch });
    this.rolling = done.then(
      () => {},
      () => {},
    );
    // Started here, not left to the connect's own call: after a rollback at the same auth, that call
    // may have looked for the marker before this stored it.
    void this.rolling.then(() => this.loadHeadIfPending());
    return done;
  }

  /**
   * After a rollback or rebuild settles: load the head if one is marked to load (a rebuild, or one
   * cut short by an earlier disconnect). Called at each connect and by {@link rebuild}; one load runs.
   */
  private async loadHeadIfPending(): Promise<void> {
    await this.rolling;
    if (!(await this.db.headPending().catch(() => false))) return;
    this.headLoad ??= this.loadHead().finally(() => {
      this.headLoad = null;
    });
    return this.headLoad;
  }

  /**
   * The head, page by page in conversation-id order: each page stored in one transaction as it
   * comes (the list and the latest messages appear while the rest loads); the last page clears the
   * marker. Older history is paged on demand (loadOlder); gaps between what was stored and a
   * conversation's latest page are filled like any other gap.
   */
  private async loadHead(): Promise<void> {
    let afterId: string | undefined;
    try {
      for (let page = 0; page < MAX_HEAD_PAGES; page++) {
        const { conversations, hasMore } = await this.request('sync.head', { limit: HEAD_PAGE, messages: FIRST_PAGE, ...(afterId ? { afterId } : {}) });
        const last = !hasMore || conversations.length === 0;
        this.afterIngest(await this.db.storeHeadPage(conversations, last));
        if (last) return;
        afterId = conversations.at(-1)!.conversation.id;
      }
    } catch {
      // Offline or timed out: the marker stays, and the next connect loads the head again.
    }
  }

  private async rollBackTo(to: { cursor: number; epoch: string }): Promise<RollbackCounts> {
    const kept = new Map<string, number>();
    let afterId: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= MAX_ROLLBACK_PAGES) throw new ParleyError(ErrorCode.INTERNAL, `more than ${MAX_ROLLBACK_PAGES * PAGE} conversations to roll back`);
      const { conversations, hasMore } = await this.request('conversations.seqsAt', { cursor: to.cursor, limit: PAGE, ...(afterId ? { afterId } : {}) });
      for (const c of conversations) kept.set(c.conversationId, c.seq);
      afterId = conversations.at(-1)?.conversationId;
      if (!hasMore || afterId === undefined) break;
    }
    const result = await this.db.rollback({ ...to, kept });
    this.live.changed(result.conversations);
    this.outbox.kick();
    return { requeued: result.requeued, dropped: result.dropped };
  }

  private afterIngest(result: IngestResult): void {
    this.live.changed(result.changedConversations);
    for (const d of result.delivered) this.receipts.markDelivered(d.conversationId, d.upToSeq);
    for (const g of result.gaps) void this.fillFrom(g.conversationId, g.afterSeq);
    // A push of our own message may have settled an outbox row: more may be sendable. Others'
    // messages cannot, and asking the outbox after each of them cost two queries per push.
    if (result.changedMessages.length > 0) this.outbox.kick();
  }

  /**
   * Fetch messages after `afterSeq` until caught up (bounded), storing each page. The next page is
   * fetched while the previous one is stored: one page ahead at most, and pages are stored in order
   * (a page is handed to the store only once the one before it is stored).
   */
  private async fillFrom(conversationId: string, afterSeq: number): Promise<void> {
    if (this.filling.has(conversationId)) return;
    this.filling.add(conversationId);
    const writer = new CatchUpWriter<Message>(
      (messages) => this.db.storeMessages(conversationId, messages).then((r) => this.afterIngest(r)),
      MAX_PAGES_AHEAD,
    );
    try {
      let after = afterSeq;
      for (let page = 0; page < MAX_PAGES; page++) {
        const { messages, hasMore } = await this.request('messages.range', { conversationId, afterSeq: after, limit: PAGE });
        await writer.add(messages);
        if (!hasMore || messages.length === 0) break;
        after = messages.at(-1)!.seq;
      }
      await writer.drained();
    } catch {
      // Offline, timed out, or a page not stored: the next push or connect tries again.
    } finally {
      await writer.drained().catch(() => {});
      this.filling.delete(conversationId);
    }
  }

  private async refreshConversations(): Promise<void> {
    try {
      await this.rolling;
      const { conversations } = await this.request('conversations.list', { limit: 200, offset: 0 });
      await this.db.upsertConversations(conversations);
      this.live.changed(conversations.map((c) => c.id));
    } catch {
      // Shown from local data meanwhile; refreshed on the next connect.
    }
  }

  // ---- What tabs call --------------------------------------------------------------------------

  /** Store the message as pending (with its outbox row) and return it at once; sending follows. */
  async send(conversationId: string, content: Content, id: string = crypto.randomUUID()): Promise<LocalMessage> {
    this.checkSendable(conversationId, content, id);
    const message = await this.db.enqueue({ id, conversationId, content, createdAt: this.platform.clock.now() });
    this.live.changed([conversationId]);
    this.outbox.kick();
    return message;
  }

  /**
   * A media message: its files are stored with it (pending, content holding local refs), then
   * uploaded and the message sent when online. Refused up front if the server would refuse it.
   */
  async sendMedia(conversationId: string, draft: MediaDraft, id: string = crypto.randomUUID()): Promise<LocalMessage> {
    const { content, uploads } = prepareDraft(draft, () => crypto.randomUUID());
    this.checkSendable(conversationId, withPlaceholderUrls(content), id);
    const message = await this.db.enqueue({ id, conversationId, content, createdAt: this.platform.clock.now(), uploads });
    this.live.changed([conversationId]);
    this.outbox.kick();
    return message;
  }

  /** The bytes of a file not uploaded yet (`local:<id>` in a pending message), or null once gone. */
  async localMedia(ref: string): Promise<LocalFile | null> {
    const uploadId = uploadIdOf(ref);
    if (uploadId === null) throw new ParleyError(ErrorCode.INVALID_PARAMS, `not a local media ref: ${String(ref).slice(0, 80)}`);
    return this.db.localFile(uploadId);
  }

  /** Loadable URLs for `/media/<key>` paths: signed, or bare when signing is impossible (offline). */
  signMedia(paths: readonly string[]): Promise<Record<string, string>> {
    if (!this.signed) return Promise.reject(new ParleyError(ErrorCode.CLOSED, 'this engine has no media setup'));
    return this.signed.sign(paths);
  }

  /** The outbox's last step before a send: a media message's files go up first. */
  private prepare(item: { messageId: string; conversationId: string; content: Content; attempts: number }): Promise<Content> {
    if (!hasLocalRefs(item.content)) return Promise.resolve(item.content);
    if (!this.uploader) return Promise.reject(new ParleyError(ErrorCode.CLOSED, 'this engine cannot upload media'));
    return this.uploader.prepare(item);
  }

  /** Refuse now what the server would refuse later: a message stored here must be sendable. */
  private checkSendable(conversationId: string, content: Content, id: string): void {
    const valid = check(RequestSchemas['messages.send'].params, { conversationId, clientId: id, content }, ErrorCode.INVALID_PARAMS);
    if (!valid.ok) throw new ParleyError(valid.code, valid.message);
    const bytes = contentBytes(content);
    if (bytes > MAX_CONTENT_BYTES) {
      throw new ParleyError(ErrorCode.PAYLOAD_TOO_LARGE, `content is ${bytes} bytes; the limit is ${MAX_CONTENT_BYTES}`);
    }
  }

  async resend(id: string): Promise<void> {
    const m = await this.db.resend(id);
    this.changedMessage(m);
    this.outbox.kick();
  }

  async deletePending(id: string): Promise<void> {
    const m = await this.db.deletePending(id);
    this.changedMessage(m);
  }

  /**
   * Recall one of this user's messages. One not yet sent is simply deleted (nobody has it); one the
   * server holds is recalled there (online only: the server judges the window) and replaced here at
   * once, before the recall event comes back. Rejects with the server's code otherwise
   * (RECALL_WINDOW_PASSED, NOT_FOUND, DISCONNECTED...).
   */
  async recall(id: string): Promise<void> {
    const m = await this.db.message(this.db.userId, id);
    if (!m) throw new ParleyError(ErrorCode.NOT_FOUND, `no own message ${id}`);
    if (m.seq === null) return this.deletePending(id);
    await this.request('messages.recall', { conversationId: m.conversationId, messageId: id });
    const changed = await this.db.recalled(this.db.userId, id);
    if (changed) this.live.changed([changed]);
  }

  /**
   * Delete a message for this user on this device only: it leaves the views and search, and stays
   * gone after a reload, a resync or a rebuild. An unsent own message is deleted outright.
   */
  async deleteForMe(senderId: string, id: string): Promise<void> {
    const m = await this.db.message(senderId, id);
    if (!m) throw new ParleyError(ErrorCode.NOT_FOUND, `no message ${id} from ${senderId}`);
    if (m.seq === null) return this.deletePending(id);
    const changed = await this.db.deleteForMe(senderId, id);
    if (changed) this.live.changed([changed]);
  }

  /** Messages the server has not accepted yet (queued or failed): what a wipe would drop. */
  unsentCount(): Promise<number> {
    return this.db.unsentCount();
  }

  private changedMessage(m: LocalMessage): void {
    this.live.changed([m.conversationId]);
  }

  /** Mark everything in the conversation read, here and (as a receipt) everywhere. */
  async markRead(conversationId: string): Promise<void> {
    const conv = await this.db.conversation(conversationId);
    if (!conv || conv.lastSeq <= 0) return;
    if (await this.db.markRead(conversationId, conv.lastSeq)) this.live.changed([conversationId]);
    this.receipts.markRead(conversationId, conv.lastSeq);
  }

  /** A tab opened a conversation: fetch what is newer than what we hold. */
  async refresh(conversationId: string): Promise<void> {
    const contiguous = await this.db.contiguousSeq(conversationId);
    if (contiguous > 0) return this.fillFrom(conversationId, contiguous);
    // Never opened here: the latest page only; older pages come with loadOlder.
    try {
      const { messages } = await this.request('messages.history', { conversationId, limit: FIRST_PAGE });
      if (messages.length > 0) this.afterIngest(await this.db.storeMessages(conversationId, messages));
    } catch {
      // Offline: local data only, refreshed when the tab opens it again or a push arrives.
    }
  }

  /** Older messages: local first, then the server (stored for next time). Ascending by seq. */
  async loadOlder(conversationId: string, beforeSeq: number, limit: number): Promise<LocalMessage[]> {
    const local = await this.db.before(conversationId, beforeSeq, limit);
    if (local.length >= limit) return local;
    const oldestLocal = local[0]?.seq ?? beforeSeq;
    if (oldestLocal <= 1) return local;
    try {
      const { messages } = await this.request('messages.history', { conversationId, beforeSeq: oldestLocal, limit: limit - local.length });
      if (messages.length > 0) {
        await this.db.storeMessages(conversationId, messages);
        this.live.changed([conversationId]);
      }
    } catch {
      return local; // offline: what we have
    }
    return this.db.before(conversationId, beforeSeq, limit);
  }

  search(query: string, limit: number): Promise<LocalMessage[]> {
    return this.db.search(query, limit);
  }

  async diagnostics(): Promise<StoreDiagnostics> {
    return { ...(await this.db.diagnostics()), live: this.live.stats() };
  }

  private runQuery(q: LiveQuery): Promise<LiveResult> {
    if (q.kind === 'conversations') {
      return this.db.conversationList(q.limit, 0).then((conversations) => ({ kind: 'conversations', conversations }));
    }
    return this.db.latest(q.conversationId, q.limit).then((messages) => ({ kind: 'messages', conversationId: q.conversationId, messages }));
  }

  close(): void {
    this.outbox.close();
    this.receipts.close();
  }
}

/** A message of someone else's as the store will hold it once committed (see inbox.ts). */
function received(m: Message): LocalMessage {
  return {
    id: m.id,
    senderId: m.senderId,
    conversationId: m.conversationId,
    seq: m.seq,
    content: m.content,
    state: 'received',
    error: null,
    createdAt: m.serverTs,
    serverTs: m.serverTs,
  };
}

function conversationsOf(records: readonly PushRecord[]): string[] {
  const ids = new Set<string>();
  for (const { event } of records) {
    if (event.kind === 'message') ids.add(event.message.conversationId);
    else if (event.kind === 'conversation') ids.add(event.conversation.id);
    else ids.add(event.conversationId);
  }
  return [...ids];
}
