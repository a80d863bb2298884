/**
 * What a storefront tab holds: the connection state, typed events, typed requests, local-first
 * messaging and live queries, over a link to the one engine of this origin and user. If the engine
 * dies (a killed SharedWorker, a closed leader tab) the client opens a new link by itself and
 * re-subscribes its live queries; listeners and the API stay the same.
 */
import type { Content } from '../schema/content';
import { ErrorCode, ParleyError } from '../schema/errors';
import type { RequestParams, RequestResult, RequestType } from '../schema/requests';
import { applyPatch } from '../schema/livePatch';
import { Emitter } from '../worker/engine/Emitter';
import type {
  ConnectionState,
  EngineApi,
  EngineEvent,
  EngineEventOf,
  EngineEventType,
  LiveQuery,
  LiveResult,
  LiveUpdate,
  LocalConversation,
  LocalMessage,
  MediaDraft,
  Settled,
  SignalsSnapshot,
  DeskView,
  StorageDurability,
  StoreDiagnostics,
  TypingParty,
} from '../worker/protocol';
import type { Presence } from '../schema/entities';
import type { QuickReply } from '../schema/desk';
import { onDisconnect } from '../worker/requests/policy';
import { valueOrThrow, type EngineMethod, type EngineReturn, type Link, type LinkSink } from './links/Link';
import { ImagePreparer } from './media/ImagePreparer';
import { MediaResolver } from './media/MediaResolver';
import { TabNotifications, type NotificationOptions } from './notifications/TabNotifications';
import { wipeTabData } from './privacy/localData';

export interface ClientRequestOptions {
  /** Engine-side timeout for this request (default: the engine's, 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ClientOptions {
  /** The image worker's script (pictures are prepared off the main thread); undefined: the one beside the client (see links/workers.ts). */
  imageWorkerUrl: string | undefined;
  /** Whom this client speaks for in this browser (connect's `user`). */
  user?: string;
  /** This tab's id, as the engine knows it (connect makes one). */
  tabId?: string;
}

/** Opens a link to the engine; called again when the engine behind the previous link died. */
export type LinkOpener = (sink: LinkSink) => Promise<Link>;

/** Extra time the tab waits beyond the engine's own timeout, so the engine's error (with its code) wins. */
const PORT_MARGIN_MS = 2_000;
/** A rotation rewrites every page of the database: seconds for a large history on a slow disk. */
const KEY_CHANGE_TIMEOUT_MS = 120_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Bound on calls that only touch the local database. */
const LOCAL_CALL_TIMEOUT_MS = 15_000;
/** Reattaching after the engine died: attempts and the pause between them. */
const REATTACH_ATTEMPTS = 5;
/** A sign-out waits for the server up to 3 s, then closes the store (and wipes). */
const SIGN_OUT_TIMEOUT_MS = 20_000;
const REATTACH_PAUSE_MS = 200;
/** Live results kept for watches whose id has not arrived yet. */
const MAX_EARLY_LIVE = 16;
/** Further attempts at a watch() call that failed while the engine was still there. */
const WATCH_RETRIES = 3;
/**
 * Calls that are safe to make again when the engine died while they ran: they read, or they set
 * something to a value (a read position), so a second run changes nothing the first did; and
 * server requests whose disconnect policy says the same (worker/requests/policy.ts). A send or a
 * resend is not retried: its DISCONNECTED error says the outcome is unknown.
 */
const RETRY_WHEN_LOST: ReadonlySet<EngineMethod> = new Set<EngineMethod>([
  'getState',
  'signals',
  'desk',
  'deleteQuickReply',
  'setTabView',
  'notificationShown',
  'recall',
  'deleteForMe',
  'watchPresence',
  'setPresence',
  'markRead',
  'refresh',
  'loadOlder',
  'search',
  'diagnostics',
  'signMedia',
  'localMedia',
  'reconnect',
]);

interface Watch {
  query: LiveQuery;
  deliver: (result: LiveResult) => void;
  remoteId: string | null;
  /** The result as last delivered: patches apply to it. */
  held: LiveResult | null;
}

export class ParleyClient {
  private link: Link | null = null;
  private current: ConnectionState = { status: 'idle' };
  /** The engine's word on its local database (sent on attach). */
  private storageInfo: EngineEventOf<'storage'> | null = null;
  private readonly emitter = new Emitter<EngineEvent>();
  /** Highest push cursor passed to listeners: replays after a handover are dropped here. */
  private lastCursor = 0;
  private closed = false;
  private reattaching: Promise<void> | null = null;
  private readonly watches = new Set<Watch>();
  private readonly earlyLive = new Map<string, LiveResult>();
  /** Who types where and who is present, as the engine last said (kept from its events). */
  private readonly typing = new Map<string, TypingParty[]>();
  private readonly presence = new Map<string, Presence[]>();
  /** How many watchPresence listeners of this tab want each conversation. */
  private readonly presenceWanted = new Map<string, number>();
  private signalsLoaded: Promise<void> | null = null;

  private readonly images: ImagePreparer;
  private readonly media: MediaResolver;
  private readonly notifications: TabNotifications;
  /** This tab, as the engine knows it. */
  private readonly tabId: string;
  private titleBase: string | null = null;
  /** The user signed out: the link is closed for good and nothing reattaches. */
  private isSignedOut = false;

  /** Whom this client speaks for in this browser (connect's `user`): what is kept per user locally (the database, drafts) is kept under it. */
  readonly user: string;

  private constructor(
    private readonly open: LinkOpener,
    options: ClientOptions,
  ) {
    this.user = options.user ?? 'default';
    this.images = new ImagePreparer(options.imageWorkerUrl);
    this.media = new MediaResolver({
      localMedia: (ref) => unwrap(this.invoke('localMedia', [ref], LOCAL_CALL_TIMEOUT_MS)),
      signMedia: (paths) => unwrap(this.invoke('signMedia', [paths], DEFAULT_REQUEST_TIMEOUT_MS + PORT_MARGIN_MS)),
    });
    const tabId = options.tabId ?? `t_${Math.random().toString(36).slice(2)}`;
    this.tabId = tabId;
    this.notifications = new TabNotifications({
      tabId,
      setTabView: (view) => void this.invoke('setTabView', [tabId, view], LOCAL_CALL_TIMEOUT_MS).catch(() => {}),
      shown: (messageId) => void this.invoke('notificationShown', [messageId], LOCAL_CALL_TIMEOUT_MS).catch(() => {}),
    });
  }

  static async create(open: LinkOpener, options: ClientOptions): Promise<ParleyClient> {
    const client = new ParleyClient(open, options);
    client.link = await open(client.sink());
    client.notifications.start();
    return client;
  }

  private sink(): LinkSink {
    return {
      onEvent: (e) => this.onEvent(e),
      onLive: (id, update) => {
        let known = false;
        for (const w of this.watches) {
          if (w.remoteId !== id) continue;
          known = true;
          const next = updated(w.held, update);
          if (next) w.deliver((w.held = next));
        }
        if (!known) this.early(id, update);
      },
      onLost: () => void this.reattach(),
      onEngineChanged: () => void this.resubscribe(),
    };
  }

  /** The connection state as last reported by the engine. */
  get state(): ConnectionState {
    return this.current;
  }

  /**
   * Whether this user's local database is encrypted at rest (connect's `encryption`). The UI kit
   * then keeps drafts in the tab's memory only.
   */
  get encrypted(): boolean {
    return this.storageInfo?.encrypted === true;
  }

  /**
   * Set when the local database did not open with the key and was rebuilt (`onKeyRejected:
   * 'rebuild'`): how many unsent messages were dropped (null: not known). Known once connect()
   * resolves; a rebuild at a later restart of the engine comes with a `storage` event.
   */
  get localRebuilt(): { unsent: number | null } | null {
    return this.storageInfo?.rebuilt ?? null;
  }

  /** How safe the local database is: 'persistent', 'best_effort' (may be evicted) or 'memory' (lost on close). */
  get storage(): StorageDurability | 'unknown' {
    return this.storageInfo?.durability ?? 'unknown';
  }

  /** How this tab reaches the engine. */
  get transport(): Link['kind'] | 'none' {
    return this.link?.kind ?? 'none';
  }

  /** Listen to one event type, or '*' for all. Returns the unsubscribe function. */
  on<T extends EngineEventType>(type: T, listener: (event: EngineEventOf<T>) => void): () => void;
  on(type: '*', listener: (event: EngineEvent) => void): () => void;
  on(type: string, listener: (event: never) => void): () => void {
    return this.emitter.on((e) => {
      if (type === '*' || e.type === type) (listener as (e: EngineEvent) => void)(e);
    });
  }

  /** A typed request to the server, with a timeout; rejects with a ParleyError whose `code` says why. */
  async request<T extends RequestType>(type: T, params: RequestParams<T>, opts: ClientRequestOptions = {}): Promise<RequestResult<T>> {
    const timeout = (opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) + PORT_MARGIN_MS;
    const call = this.invoke('request', [type, params, opts.timeoutMs], timeout) as Promise<Settled<RequestResult<T>>>;
    return unwrap(opts.signal ? abortable(call, opts.signal) : call);
  }

  // ---- local-first messaging ------------------------------------------------------------------

  /**
   * Store a message locally as `pending` and return it at once; the engine sends it when it can,
   * exactly once. `id` (a UUID) may be given to correlate; one is made otherwise.
   */
  send(conversationId: string, content: Content, opts: { id?: string } = {}): Promise<LocalMessage> {
    return unwrap(this.invoke('send', [conversationId, content, opts.id], LOCAL_CALL_TIMEOUT_MS));
  }

  /**
   * An image message: the picture is decoded, resized (longest side 1600 px) and re-encoded as JPEG,
   * with a 320 px thumbnail, in a dedicated worker (EXIF, GPS included, is dropped). Both are stored
   * locally with the message (state `pending`, `url`/`thumbUrl` are `local:` refs), then uploaded
   * and sent when online, exactly once; `upload` events report progress.
   * Rejects with INVALID_PARAMS when the file is not a decodable image.
   */
  async sendImage(conversationId: string, file: Blob, opts: { id?: string } = {}): Promise<LocalMessage> {
    const prepared = await this.images.prepare(file);
    const draft: MediaDraft = { kind: 'image', width: prepared.width, height: prepared.height, image: prepared.image, thumb: prepared.thumb };
    return unwrap(this.invoke('sendMedia', [conversationId, draft, opts.id], LOCAL_CALL_TIMEOUT_MS));
  }

  /** A voice message of `durationMs` (e.g. a MediaRecorder recording): stored locally, then uploaded and sent. */
  async sendVoice(conversationId: string, audio: Blob, durationMs: number, opts: { id?: string } = {}): Promise<LocalMessage> {
    const bytes = await audio.arrayBuffer();
    const draft: MediaDraft = { kind: 'voice', durationMs: Math.max(1, Math.round(durationMs)), audio: { bytes, mime: audio.type } };
    return unwrap(this.invoke('sendMedia', [conversationId, draft, opts.id], LOCAL_CALL_TIMEOUT_MS));
  }

  /**
   * What an `<img src>` / `<audio src>` can load for a media URL found in message content:
   * `local:…` (a file not uploaded yet) → a blob: URL of the locally stored bytes; `/media/…` (on the
   * Parley server) → a signed, expiring URL, or the bare URL while offline (a service worker that
   * cached it answers); any other http(s) URL as it is. Rejects with NOT_FOUND for a local ref
   * whose bytes are gone, INVALID_PARAMS for anything else.
   */
  mediaUrl(ref: string): Promise<string> {
    return this.media.resolve(ref);
  }

  /** Send a failed message again (same id: the server still stores it once). */
  async resend(id: string): Promise<void> {
    await unwrap(this.invoke('resend', [id], LOCAL_CALL_TIMEOUT_MS));
  }

  /** Delete a message that is pending or failed (not one the server already has). */
  async deletePending(id: string): Promise<void> {
    await unwrap(this.invoke('deletePending', [id], LOCAL_CALL_TIMEOUT_MS));
  }

  /**
   * Recall one of your messages: within the server's window (2 minutes by default) every device,
   * offline ones when they return, shows "message recalled" instead, and its text leaves search.
   * Needs the network (the server judges the window); an unsent message is simply deleted.
   * Rejects with RECALL_WINDOW_PASSED when too late.
   */
  async recall(id: string): Promise<void> {
    await unwrap(this.invoke('recall', [id], DEFAULT_REQUEST_TIMEOUT_MS + PORT_MARGIN_MS));
  }

  /**
   * Delete a message (anyone's) for this user on this device: it leaves every tab's views and search
   * and stays gone after reloads and resyncs. Its row stays as content `{ type: 'deleted' }`, which
   * the UI kit leaves out and a custom view should too. Others still have it.
   */
  async deleteForMe(message: Pick<LocalMessage, 'id' | 'senderId'>): Promise<void> {
    await unwrap(this.invoke('deleteForMe', [message.senderId, message.id], LOCAL_CALL_TIMEOUT_MS));
  }

  /** Mark the conversation read up to its latest message, in every tab and on the server. */
  async markRead(conversationId: string): Promise<void> {
    await unwrap(this.invoke('markRead', [conversationId], LOCAL_CALL_TIMEOUT_MS));
  }

  /** Older messages before `beforeSeq`: local first, then from the server (kept for next time). */
  loadOlder(conversationId: string, beforeSeq: number, limit = 30): Promise<LocalMessage[]> {
    return unwrap(this.invoke('loadOlder', [conversationId, beforeSeq, limit], DEFAULT_REQUEST_TIMEOUT_MS + PORT_MARGIN_MS));
  }

  /** Full-text search over the local messages (works for Chinese). */
  search(query: string, limit = 50): Promise<LocalMessage[]> {
    return unwrap(this.invoke('search', [query, limit], LOCAL_CALL_TIMEOUT_MS));
  }

  /** What this browser's database holds: the outbox with each message's last error, the stored cursor, and each conversation's positions. For a support page. */
  diagnostics(): Promise<StoreDiagnostics> {
    return unwrap(this.invoke('diagnostics', [], LOCAL_CALL_TIMEOUT_MS));
  }

  /** The conversation list (by last activity, with unread counts), now and on every change. */
  watchConversations(listener: (conversations: LocalConversation[]) => void, opts: { limit?: number } = {}): () => void {
    return this.watch({ kind: 'conversations', limit: opts.limit ?? 50 }, (r) => {
      if (r.kind === 'conversations') listener(r.conversations);
    });
  }

  /**
   * A conversation's latest messages: from the local database at once, then again whenever they
   * change (new messages, state changes). Opening also fetches anything newer from the server.
   */
  watchMessages(conversationId: string, listener: (messages: LocalMessage[]) => void, opts: { limit?: number } = {}): () => void {
    const off = this.watch({ kind: 'messages', conversationId, limit: opts.limit ?? 50 }, (r) => {
      if (r.kind === 'messages') listener(r.messages);
    });
    void this.invoke('refresh', [conversationId], DEFAULT_REQUEST_TIMEOUT_MS).catch(() => {});
    return off;
  }

  // ---- typing and presence --------------------------------------------------------------------

  /**
   * The user is typing in a conversation: call it on every input (the engine sends at most one
   * notice every few seconds), and with `false` when the text is cleared or sent. Nothing is sent
   * while offline: typing is about now.
   */
  setTyping(conversationId: string, active = true): void {
    void this.invoke('setTyping', [conversationId, active], LOCAL_CALL_TIMEOUT_MS).catch(() => {});
  }

  /**
   * Who is typing in a conversation, now and on every change (an empty list: nobody). A shop's agent
   * appears as the shop (`kind: 'shop'`), never as which agent.
   */
  watchTyping(conversationId: string, listener: (typing: TypingParty[]) => void): () => void {
    const off = this.on('typing', (e) => {
      if (e.conversationId === conversationId) listener(e.typing);
    });
    void this.loadSignals().then(() => listener(this.typing.get(conversationId) ?? []));
    return off;
  }

  /**
   * The presence of a conversation's other parties that this user may see (a shop as a whole; a
   * customer, to the shop's agents), now and on every change. Watched across tabs by the engine.
   */
  watchPresence(conversationId: string, listener: (presence: Presence[]) => void): () => void {
    const off = this.on('presence', (e) => {
      const c = e.conversations.find((x) => x.conversationId === conversationId);
      if (c) listener(c.presence);
    });
    this.presenceWanted.set(conversationId, (this.presenceWanted.get(conversationId) ?? 0) + 1);
    this.sendPresenceWanted();
    void this.loadSignals().then(() => {
      const known = this.presence.get(conversationId);
      if (known) listener(known);
    });
    return () => {
      off();
      const n = (this.presenceWanted.get(conversationId) ?? 1) - 1;
      if (n > 0) this.presenceWanted.set(conversationId, n);
      else this.presenceWanted.delete(conversationId);
      this.sendPresenceWanted();
    };
  }

  // ---- the service desk (a shop's agents) ------------------------------------------------------

  /**
   * The shop's service desk, now and on every change: its agents with presence, who handles each
   * conversation (or the queue) with the last transfer's note, its quick replies, and how many
   * actions taken here wait for the network. `null` for a user who is no shop's agent (and until
   * the first connection loads it).
   */
  watchDesk(listener: (desk: DeskView | null) => void): () => void {
    let live = false;
    const off = this.on('desk', (e) => {
      live = true;
      listener(e.desk);
    });
    void unwrap(this.invoke('desk', [], LOCAL_CALL_TIMEOUT_MS)).then(
      (desk) => !live && !this.closed && listener(desk),
      () => {},
    );
    return off;
  }

  /**
   * Take a conversation (`agentId`: yourself), transfer it to another agent of the shop (with a
   * `note` only agents see), or put it back in the queue (null). Stored here first: offline it waits,
   * survives a reload, and is applied exactly once when the network is back. A refusal arrives later
   * as a `desk_error` event.
   */
  async assign(conversationId: string, agentId: string | null, opts: { note?: string } = {}): Promise<void> {
    await unwrap(this.invoke('assign', [conversationId, agentId, opts.note], LOCAL_CALL_TIMEOUT_MS));
  }

  /** Create (no id) or replace a quick reply of the shop; resolves with all of them. Needs the network. */
  saveQuickReply(reply: { id?: string; shortcut: string; text: string }): Promise<QuickReply[]> {
    const full: QuickReply = { id: reply.id ?? crypto.randomUUID(), shortcut: reply.shortcut, text: reply.text };
    return unwrap(this.invoke('saveQuickReply', [full], DEFAULT_REQUEST_TIMEOUT_MS + PORT_MARGIN_MS));
  }

  deleteQuickReply(id: string): Promise<QuickReply[]> {
    return unwrap(this.invoke('deleteQuickReply', [id], DEFAULT_REQUEST_TIMEOUT_MS + PORT_MARGIN_MS));
  }

  // ---- encryption at rest -------------------------------------------------------------------------

  /**
   * Rotate the key of an encrypted local database: every page is re-encrypted with `key` in one
   * transaction (a failure leaves the old key in force; nothing is lost either way). Store it in
   * your backend first, so that every tab's `encryption.key` (a function, to be asked again) gives
   * the new key from now on: a tab that attaches with the old one, this one after its engine
   * restarts included, is refused with KEY_REJECTED. INVALID_PARAMS when not encrypted.
   */
  async changeKey(key: string): Promise<void> {
    await unwrap(this.invoke('changeKey', [key], KEY_CHANGE_TIMEOUT_MS));
  }

  // ---- signing out --------------------------------------------------------------------------------

  /** Messages not accepted by the server yet (queued or failed): what a wiping sign-out would drop. */
  unsentCount(): Promise<number> {
    return unwrap(this.invoke('unsentCount', [], LOCAL_CALL_TIMEOUT_MS));
  }

  /**
   * Sign the user out on this device: the session ends (on the server too, when online), and every
   * tab of this user gets state `signed_out` and empty views. With `wipe`, the user's local
   * database, snapshots, drafts and cached media are deleted, in every tab (a wipe cut short, a
   * killed worker, is finished when the user's engine starts next). A wipe refuses with
   * UNSENT_MESSAGES while messages wait to be sent, unless `discardUnsent` (ask the user first:
   * see unsentCount). Resolves with how many unsent messages were dropped. Connect again (a new
   * connect(), possibly for another user) to go on.
   */
  async signOut(opts: { wipe?: boolean; discardUnsent?: boolean } = {}): Promise<{ dropped: number }> {
    const wipe = opts.wipe === true;
    const result = await unwrap(this.invoke('signOut', [{ wipe, discardUnsent: opts.discardUnsent === true }], SIGN_OUT_TIMEOUT_MS));
    // The engine says so to every tab too; this tab does not wait for it.
    await this.signedOut(wipe);
    return result;
  }

  /** The user signed out (here or in another tab): empty views, no engine, this tab's data gone with a wipe. */
  private async signedOut(wiped: boolean): Promise<void> {
    if (this.isSignedOut) return;
    this.isSignedOut = true;
    this.onEvent({ type: 'state', state: { status: 'signed_out' } });
    for (const w of this.watches) w.deliver((w.held = w.query.kind === 'messages' ? { kind: 'messages', conversationId: w.query.conversationId, messages: [] } : { kind: 'conversations', conversations: [] }));
    this.typing.clear();
    this.presence.clear();
    this.notifications.stop();
    if (wiped) await wipeTabData(this.user);
    this.link?.close();
    this.link = null;
  }

  // ---- notifications -----------------------------------------------------------------------------

  /**
   * Show a system notification for others' messages that arrive while none of this user's tabs is
   * visible: one per message across all tabs (the engine picks the tab most recently used among
   * those that enabled them). Asks the user's permission: call it from a click. Resolves with the
   * permission; nothing is shown unless it is 'granted'.
   */
  enableNotifications(options: NotificationOptions = {}): Promise<NotificationPermission> {
    return this.notifications.enable(options);
  }

  disableNotifications(): void {
    this.notifications.disable();
  }

  /** Whether this tab shows notifications (enabled, and allowed by the user). */
  get notificationsEnabled(): boolean {
    return this.notifications.enabled;
  }

  /**
   * Prefix the page's title with the unread total over the user's conversations, "(3) Shop", in this
   * tab, kept current; returns the function that stops and restores the title.
   */
  showUnreadInTitle(): () => void {
    if (typeof document === 'undefined') return () => {};
    this.titleBase ??= document.title.replace(/^\(\d+\+?\) /, '');
    const base = this.titleBase;
    const off = this.watchConversations((list) => {
      const unread = list.reduce((n, c) => n + c.unread, 0);
      document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
    }, { limit: 200 });
    return () => {
      off();
      document.title = base;
    };
  }

  /** The user is away (an agent on a break), or back: others see it while they are connected. */
  setPresence(status: 'online' | 'away'): void {
    void this.invoke('setPresence', [status], LOCAL_CALL_TIMEOUT_MS).catch(() => {});
  }

  private sendPresenceWanted(): void {
    void this.invoke('watchPresence', [this.tabId, [...this.presenceWanted.keys()]], LOCAL_CALL_TIMEOUT_MS).catch(() => {});
  }

  /** What the engine holds now, once per engine: events keep it current after. */
  private loadSignals(): Promise<void> {
    this.signalsLoaded ??= this.invoke('signals', [], LOCAL_CALL_TIMEOUT_MS).then(
      (snapshot: SignalsSnapshot) => {
        for (const t of snapshot.typing) if (!this.typing.has(t.conversationId)) this.typing.set(t.conversationId, t.typing);
        for (const p of snapshot.presence) if (!this.presence.has(p.conversationId)) this.presence.set(p.conversationId, p.presence);
      },
      () => {
        this.signalsLoaded = null;
      },
    );
    return this.signalsLoaded;
  }

  private watch(query: LiveQuery, deliver: (result: LiveResult) => void): () => void {
    const w: Watch = { query, deliver, remoteId: null, held: null };
    this.watches.add(w);
    void this.subscribe(w);
    return () => {
      this.watches.delete(w);
      if (w.remoteId) void this.invoke('unwatch', [w.remoteId], LOCAL_CALL_TIMEOUT_MS).catch(() => {});
    };
  }

  /**
   * A live update for an id this tab does not know yet. The first result travels on the events
   * port and the watch() reply on the call port, with no order between them: the result (and
   * patches to it) may come first. The result so far per id is kept (a few, briefly) for
   * subscribe() to deliver.
   */
  private early(id: string, update: LiveUpdate): void {
    const result = updated(this.earlyLive.get(id) ?? null, update);
    this.earlyLive.delete(id);
    if (!result) return;
    this.earlyLive.set(id, result);
    if (this.earlyLive.size > MAX_EARLY_LIVE) this.earlyLive.delete(this.earlyLive.keys().next().value as string);
  }

  private async subscribe(w: Watch, attempt = 0): Promise<void> {
    let id: string;
    try {
      id = await unwrap(this.invoke('watch', [w.query], LOCAL_CALL_TIMEOUT_MS));
    } catch (err) {
      // A busy engine (the call timed out) or a failing one: try again, a few times. An engine
      // being replaced is resubscribed by resubscribe() once the new one is reachable.
      if (!this.closed && this.watches.has(w) && !this.reattaching && attempt < WATCH_RETRIES && !ParleyError.is(err, ErrorCode.CLOSED)) {
        await new Promise((r) => setTimeout(r, REATTACH_PAUSE_MS * 2 ** attempt));
        if (w.remoteId === null && this.watches.has(w)) return this.subscribe(w, attempt + 1);
      }
      return;
    }
    if (!this.watches.has(w)) {
      void this.invoke('unwatch', [id], LOCAL_CALL_TIMEOUT_MS).catch(() => {});
      return;
    }
    w.remoteId = id;
    w.held = null;
    const first = this.earlyLive.get(id);
    this.earlyLive.delete(id);
    if (first) w.deliver((w.held = first));
  }

  private async resubscribe(): Promise<void> {
    // A new engine has not heard this tab's view yet.
    this.notifications.refresh();
    // A new engine knows nothing of this tab: what it watches, and what it held, start over.
    this.typing.clear();
    this.presence.clear();
    this.signalsLoaded = null;
    if (this.presenceWanted.size > 0) this.sendPresenceWanted();
    for (const w of this.watches) {
      w.remoteId = null;
      await this.subscribe(w);
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Leave kicked / auth failed / gave up and connect again now (e.g. after a new login). */
  async reconnect(): Promise<void> {
    await this.invoke('reconnect', [], LOCAL_CALL_TIMEOUT_MS);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.notifications.stop();
    this.watches.clear();
    this.images.close();
    this.media.close();
    this.link?.close();
    this.link = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private async invoke<M extends EngineMethod>(method: M, args: Parameters<EngineApi[M]>, timeoutMs: number, retried = false): Promise<EngineReturn<M>> {
    if (this.closed) throw new ParleyError(ErrorCode.CLOSED, 'the client is closed');
    if (this.isSignedOut) throw new ParleyError(ErrorCode.CLOSED, 'signed out: connect again');
    if (this.reattaching) await this.reattaching;
    const link = this.link;
    if (!link) throw new ParleyError(ErrorCode.DISCONNECTED, 'no engine is reachable');
    const engineChanges = link.engineChanges;
    try {
      return await link.invoke(method, args, timeoutMs);
    } catch (err) {
      // The engine behind this link died during the call (the link is being replaced, or a new
      // leader tab took over): once, on the new one.
      const lost = this.reattaching !== null || this.link !== link || link.engineChanges !== engineChanges;
      const safe = RETRY_WHEN_LOST.has(method) || (method === 'request' && onDisconnect(args[0] as RequestType, args[1] as never) === 'requeue');
      if (lost && safe && !retried && !this.closed && ParleyError.is(err, ErrorCode.DISCONNECTED)) {
        return this.invoke(method, args, timeoutMs, true);
      }
      throw err;
    }
  }

  private onEvent(e: EngineEvent): void {
    if (this.closed) return;
    if (e.type === 'receive') {
      if (e.cursor <= this.lastCursor) return;
      this.lastCursor = e.cursor;
    }
    // The stream restarts after the server's cursor: numbers above it are new events.
    if (e.type === 'resync' || e.type === 'rebuild') this.lastCursor = e.cursor;
    if (e.type === 'state') this.current = e.state;
    if (e.type === 'storage') this.storageInfo = e;
    if (e.type === 'typing') {
      if (e.typing.length > 0) this.typing.set(e.conversationId, e.typing);
      else this.typing.delete(e.conversationId);
    }
    if (e.type === 'presence') for (const c of e.conversations) this.presence.set(c.conversationId, c.presence);
    if (e.type === 'notify') this.notifications.handle(e);
    if (e.type === 'signed_out') void this.signedOut(e.wiped);
    this.emitter.emit(e);
  }

  private reattach(): Promise<void> {
    if (this.closed || this.isSignedOut) return Promise.resolve();
    this.reattaching ??= (async () => {
      this.link?.close();
      this.link = null;
      this.onEvent({ type: 'state', state: { status: 'idle' } });
      for (let i = 0; i < REATTACH_ATTEMPTS && !this.closed; i++) {
        try {
          this.link = await this.open(this.sink());
          return;
        } catch (err) {
          // The key no longer opens the database (rotated elsewhere): retrying will not change that.
          if (ParleyError.is(err, ErrorCode.KEY_REJECTED)) return this.onEvent({ type: 'state', state: { status: 'key_rejected', unsent: err.details?.unsent ?? null } });
          await new Promise((r) => setTimeout(r, REATTACH_PAUSE_MS * 2 ** i));
        }
      }
    })().finally(() => {
      this.reattaching = null;
    });
    return this.reattaching.then(() => this.resubscribe());
  }
}

/** The result after `update`; null for a patch with no result to apply it to (it will be resent whole). */
function updated(held: LiveResult | null, update: LiveUpdate): LiveResult | null {
  if (update.type === 'result') return update.result;
  if (!held) return null;
  return held.kind === 'messages'
    ? { ...held, messages: applyPatch(held.messages, update.patch) }
    : { ...held, conversations: applyPatch(held.conversations, update.patch) };
}

async function unwrap<T>(settled: Promise<Settled<T>>): Promise<T> {
  return valueOrThrow(await settled);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ParleyError(ErrorCode.ABORTED, 'aborted before sending'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ParleyError(ErrorCode.ABORTED, 'aborted by the caller'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
