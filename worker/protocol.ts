/**
 * Everything that crosses the tab ↔ engine port, as types only: the messages and conversations a
 * tab shows, the connection's state, the engine's events, live query results and their patches,
 * and the engine's API. `client/` and `ui/` import these from here, never from the engine's
 * internals; the engine's modules import them from here too, so both sides agree by construction.
 *
 * Only plain data crosses the port: class instances and AbortSignals do not survive structured
 * cloning, so timeouts are numbers and errors travel as their stable `code`.
 */
import type { Assignment, AuthFailedFrame, Content, ConversationKind, DeskAgent, DeskChange, ErrorCode, ErrorDetails, KickReason, Message, QuickReply, Presence, PushEvent, RebuildReason, RequestParams, RequestResult, RequestType, Role } from '../schema';
import type { EngineOptions } from './options';

// ---- What a tab shows ---------------------------------------------------------------------------

/** A message's delivery state. Own messages: pending → sent → delivered → read, or failed. Others': received. */
export type MessageState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'received';

export interface LocalMessage {
  /** The sender's client-generated UUID. */
  id: string;
  senderId: string;
  conversationId: string;
  /** Server order; null until the server stored it. */
  seq: number | null;
  content: Content;
  state: MessageState;
  /** Why it failed (state 'failed'), or the last transient error while pending. */
  error: { code: ErrorCode | string; message: string } | null;
  /** Local time the message was created (orders unsent messages). */
  createdAt: number;
  /** Server time of the store; null until sent. */
  serverTs: number | null;
  /**
   * Present (true) only on a message shown the moment its push arrived, before this device's
   * database committed it; the next update of the view replaces the row without it. The server
   * holds the message either way, so a UI never needs to show this; it may (e.g. in diagnostics).
   */
  unstored?: true;
}

export interface LocalConversation {
  id: string;
  kind: ConversationKind;
  title: string;
  shopId: string | null;
  createdAt: number;
  lastSeq: number;
  lastActivityAt: number;
  readSeq: number;
  /** Messages from others after readSeq. */
  unread: number;
  /** The newest message, sent or not. */
  lastMessage: LocalMessage | null;
}

/**
 * How safe the local data is, reported to the app so a shop can tell the shopper.
 * - persistent: IndexedDB with navigator.storage.persist() granted.
 * - best_effort: IndexedDB, but the browser may evict it under pressure (persist() refused).
 * - memory: no IndexedDB (private mode, blocked storage): everything is lost when the worker ends.
 */
export type StorageDurability = 'persistent' | 'best_effort' | 'memory';

/**
 * What the local database holds, for a support page ("why is my message stuck?"): the stored push
 * cursor, every outbox row with its last error, where each conversation stands, and the live
 * queries the engine keeps for its tabs.
 */
export interface StoreDiagnostics {
  /** Highest push cursor stored: the server replays after it. */
  cursor: number;
  /** Messages not yet accepted by the server: queued (will be sent) or failed (needs Resend). */
  outbox: { messageId: string; conversationId: string; status: 'queued' | 'failed'; attempts: number; error: string | null }[];
  /** Outbox rows in all; `outbox` lists the first ones only. */
  outboxTotal: number;
  conversations: {
    id: string;
    /** Highest seq the server said exists. */
    lastSeq: number;
    /** Every seq up to this is stored here. */
    contiguousSeq: number;
    /** This user's (or their shop's) read position. */
    readSeq: number;
  }[];
  /** Live queries: `queries` distinct ones shared by `listeners` subscriptions of all tabs; `runs` SQL runs so far. */
  live?: LiveStats;
}

export interface LiveStats {
  queries: number;
  listeners: number;
  runs: number;
}

// ---- Media a tab hands over ---------------------------------------------------------------------

export interface MediaFile {
  bytes: ArrayBuffer | Uint8Array;
  /** The encoder's type (e.g. 'image/jpeg', 'audio/webm;codecs=opus'); the server checks the bytes anyway. */
  mime: string;
}

export type MediaDraft =
  | { kind: 'image'; width: number; height: number; image: MediaFile; thumb: MediaFile }
  | { kind: 'voice'; durationMs: number; audio: MediaFile };

/** Bytes of a file not uploaded yet, for showing it (a tab makes a blob: URL of them). */
export interface LocalFile {
  bytes: Uint8Array;
  mime: string;
}

// ---- The connection -----------------------------------------------------------------------------

export interface ConnectionError {
  code: ErrorCode;
  message: string;
}

/** The connection's lifecycle as one discriminated union (see worker/connection/state.ts for its transitions). */
export type ConnectionState =
  | { status: 'idle' }
  | { status: 'connecting'; attempt: number }
  | { status: 'authenticating'; attempt: number }
  | {
      status: 'online';
      since: number;
      userId: string;
      role: Role;
      shopId: string | null;
      displayName: string;
      deviceId: string;
    }
  | { status: 'backoff'; attempt: number; nextTryAt: number; lastError: ConnectionError }
  | { status: 'offline' }
  | { status: 'kicked'; reason: KickReason; message: string }
  | { status: 'auth_failed'; code: AuthFailedFrame['code']; message: string }
  | { status: 'gave_up'; attempts: number; lastError: ConnectionError }
  | { status: 'closed' }
  /** The user signed out on this device (client.signOut): the engine is closed for every tab. */
  | { status: 'signed_out' }
  /**
   * The engine restarted (its worker died, or the leader tab left) and the local database did not
   * open with this tab's key: a rotation this tab's key did not follow (see ConnectOptions
   * `encryption`). `unsent` as in KEY_REJECTED's details. At connect() the same is a rejection.
   */
  | { status: 'key_rejected'; unsent: number | null };

export type ConnectionStatus = ConnectionState['status'];

// ---- Typing and presence ------------------------------------------------------------------------

/** Someone typing in a conversation: a user, or a shop (one of its agents; which one is not said). */
export interface TypingParty {
  id: string;
  kind: 'user' | 'shop';
}

/** The parties of a conversation whose presence this user may see, with their state now. */
export interface ConversationPresence {
  conversationId: string;
  presence: Presence[];
}

/** Who types where and who is present, as the engine holds it now (what a tab starts from). */
export interface SignalsSnapshot {
  typing: { conversationId: string; typing: TypingParty[] }[];
  presence: ConversationPresence[];
}

// ---- The service desk (a shop's agents) ---------------------------------------------------------

/** A shop's desk as its agents see it, with this device's queued actions applied on top. */
export interface DeskView {
  shopId: string;
  /** The shop's agents and their presence. */
  agents: DeskAgent[];
  /** Who handles each conversation (`agentId` null: the queue). `queued`: set here, not yet applied by the server. */
  assignments: (Assignment & { queued?: true })[];
  quickReplies: QuickReply[];
  /** Desk actions taken on this device the server has not applied yet (offline). */
  queued: number;
}

// ---- Notifications ------------------------------------------------------------------------------

/** What a tab tells the engine of itself, for picking the tab that shows a notification. */
export interface TabView {
  /** The page is visible (document.visibilityState). */
  visible: boolean;
  /** It turned notifications on and the user allowed them: it may be picked. */
  notify: boolean;
}

// ---- Events (every tab receives every one) ------------------------------------------------------

export type EngineEvent =
  /** The connection's state changed (see ConnectionState). */
  | { type: 'state'; state: ConnectionState }
  /** The socket is open and authenticated. */
  | { type: 'connect_success'; userId: string; deviceId: string }
  /** The link was lost or could not be made, and why. */
  | { type: 'connect_failure'; cause: 'network' | 'offline' | 'kicked' | 'gave_up'; code: ErrorCode | KickReason; message: string }
  /** The server refused the credentials. */
  | { type: 'auth_failure'; code: AuthFailedFrame['code']; message: string }
  /**
   * A pushed event arrived; `cursor` orders the user's stream and each cursor is reported once.
   * `stored` is false when it is reported on arrival, before the local database committed it (the
   * usual case): the server is acked only once it is stored, and a `stored` event follows.
   */
  | { type: 'receive'; cursor: number; event: PushEvent; stored: boolean }
  /** Every push up to `cursor` is committed to the local database (and will be acked). */
  | { type: 'stored'; cursor: number }
  /** How safe the local database is (sent once on attach): persistent, best_effort or memory. */
  /**
   * `encrypted`: the database is encrypted at rest. `rebuilt`: it did not open with the key given
   * and the tab asked for a rebuild (`onKeyRejected: 'rebuild'`), so a new, empty one was made with
   * it, which the server fills again; `unsent` is how many messages waiting to be sent in the old
   * one are gone (null: not known).
   */
  | { type: 'storage'; durability: StorageDurability; encrypted: boolean; rebuilt: { unsent: number | null } | null }
  /**
   * An own media message's files are uploading: `loaded` of `total` bytes across all its files.
   * Sent when an upload starts, as it progresses (throttled), and once with `done` when all are up.
   */
  | { type: 'upload'; messageId: string; conversationId: string; loaded: number; total: number; done: boolean }
  /**
   * The server lost history this device had stored (a power loss or a restore on its side) and the
   * device rolled back to what it holds: `requeued` own messages it lost are being sent again,
   * `dropped` messages of others it lost are gone. The stream resumes after `cursor`.
   */
  | { type: 'resync'; reason: 'server_rollback'; cursor: number; requeued: number; dropped: number }
  /**
   * The stream was not replayed to this device: it starts after `cursor`, the server's head, and
   * the head (conversations, latest pages, receipts) is loaded instead. `new_device`: nothing was
   * stored here; `pruned`: the server no longer held what this device had not taken.
   */
  | { type: 'rebuild'; reason: RebuildReason; cursor: number }
  /** The server reported a problem not tied to a request, or sent something invalid. */
  | { type: 'receive_error'; code: ErrorCode; message: string }
  /**
   * Who is typing in a conversation changed: `typing` is everyone typing there now (empty: nobody).
   * A notice lasts TYPING_TTL_MS unless renewed; a party's message, or the socket going away, ends it.
   */
  | { type: 'typing'; conversationId: string; typing: TypingParty[] }
  /** Presence changed in these watched conversations: each with all its visible parties' state now. */
  | { type: 'presence'; conversations: ConversationPresence[] }
  /**
   * Show a notification for this message, in the tab `tabId` only (every tab hears the event; the
   * others ignore it). The engine picks one tab per message when none is visible; that tab
   * confirms with `notificationShown`, or the next is asked.
   */
  | { type: 'notify'; tabId: string; message: Message }
  /** A change at the desk, as the server sent it (agents only); `desk` follows with the whole view. */
  | { type: 'desk_change'; shopId: string; change: DeskChange }
  /** The desk as it stands now (agents only), after a change, a reconnect or an action taken here. */
  | { type: 'desk'; desk: DeskView }
  /**
   * The user signed out on this device (from any tab): the engine is closed, every view is empty;
   * with `wiped`, the user's local database, snapshots and queued messages are deleted too.
   */
  | { type: 'signed_out'; wiped: boolean }
  /** A desk action taken here was refused by the server (FORBIDDEN, NOT_FOUND...) and dropped. */
  | { type: 'desk_error'; conversationId: string; code: string; message: string };

export type EngineEventType = EngineEvent['type'];
export type EngineEventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;

// ---- Live queries -------------------------------------------------------------------------------

/** What a tab watches. Tabs watching the same query share one run and one result in the engine. */
export type LiveQuery =
  | { kind: 'conversations'; limit: number }
  | { kind: 'messages'; conversationId: string; limit: number };

export type LiveResult =
  | { kind: 'conversations'; conversations: LocalConversation[] }
  | { kind: 'messages'; conversationId: string; messages: LocalMessage[] };

/**
 * A change to the last result a subscriber holds, by row key (a message: its sender and id, see
 * rowKey in worker/sync/livePatch.ts; a conversation: its id). Applied in this order: `remove`d
 * rows leave, `upsert`ed rows replace the row of the same key where it stands or are appended,
 * and `order`, when present, is the complete new order of keys.
 */
export interface LivePatch {
  upsert: (LocalMessage | LocalConversation)[];
  remove: string[];
  order?: string[];
}

/** What a subscriber receives: a whole result first (and after a reattach), then patches to it. */
export type LiveUpdate = { type: 'result'; result: LiveResult } | { type: 'patch'; patch: LivePatch };

// ---- The engine's API as one tab sees it --------------------------------------------------------

/** Exposed by each tab to the engine. */
export interface TabCallbacks {
  /** The host page's token provider. `fresh`: the previous token was refused as expired. */
  getToken(fresh: boolean): Promise<string>;
}

export interface AttachRequest {
  tabId: string;
  /** Whose engine and database this is (one per user per browser). */
  user: string;
  /** Other member ids that are this user, e.g. a merchant's shop (its reads are this user's reads). */
  parties: string[];
  /** Name of the Web Lock the tab holds for its whole life; its release tells the engine the tab died. */
  tabLock: string;
  options: EngineOptions;
  /** Encryption at rest (ConnectOptions.encryption): the key stays in the worker's memory only. */
  encryption?: EncryptionRequest;
}

export interface EncryptionRequest {
  key: string;
  /**
   * When the database does not open with `key`: 'fail' (the default) rejects the attach with
   * KEY_REJECTED and its `details.unsent`; 'rebuild' deletes the local copy and starts a new one
   * with this key, filled from the server (AttachResult.rebuilt says what it dropped).
   */
  onKeyRejected?: 'fail' | 'rebuild';
}

export interface AttachResult {
  /** How safe the local database is; a shop may want to tell the shopper. */
  durability: StorageDurability;
  /** Name of the Web Lock the engine's worker holds for its whole life; its release tells tabs it died. */
  workerLock: string;
  state: ConnectionState;
  /** Whether the local database is encrypted at rest. */
  encrypted: boolean;
  /** This engine started on a new local copy because the old one did not open with the key: what it dropped. */
  rebuilt: { unsent: number | null } | null;
}

/** A result that crosses a port intact: errors as their code and message. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string; details?: ErrorDetails } };

export interface EngineApi {
  /** KEY_REJECTED (with `details.unsent`) when the local database does not open with the key given. */
  attach(req: AttachRequest, callbacks: TabCallbacks, events: MessagePort): Promise<Settled<AttachResult>>;
  getState(): ConnectionState;
  request<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs?: number): Promise<Settled<RequestResult<T>>>;
  reconnect(): void;
  detach(): void;
  // ---- typing and presence ----
  /** This user types in a conversation (`active`), or stopped; the engine throttles what it sends. */
  setTyping(conversationId: string, active: boolean): void;
  /**
   * The conversations whose parties' presence the tab `tabId` shows (replacing its last list; []
   * stops). The tab names itself: without SharedWorker, other tabs' calls arrive through the leader's.
   */
  watchPresence(tabId: string, conversationIds: string[]): void;
  /** This user is away, or back (what others see while they are connected). */
  setPresence(status: 'online' | 'away'): void;
  /** Who types where and who is present now, as the engine holds it. */
  signals(): SignalsSnapshot;
  // ---- the service desk (agents) ----
  /** The desk now; null for a user who is no shop's agent (or before the first connection). */
  desk(): Promise<Settled<DeskView | null>>;
  /** Take (yourself), transfer (another agent, with a note) or queue (null) a conversation; queued while offline. */
  assign(conversationId: string, agentId: string | null, note?: string): Promise<Settled<null>>;
  saveQuickReply(reply: QuickReply): Promise<Settled<QuickReply[]>>;
  deleteQuickReply(id: string): Promise<Settled<QuickReply[]>>;
  // ---- signing out ----
  /** Messages a wipe would drop: queued or failed, not yet accepted by the server. */
  unsentCount(): Promise<Settled<number>>;
  /**
   * End the session (on the server too when online) and close the engine for every tab; with
   * `wipe`, delete the user's local data. UNSENT_MESSAGES when a wipe would drop unsent messages and
   * `discardUnsent` is not set. Resolves with how many unsent messages were dropped.
   */
  signOut(opts: { wipe: boolean; discardUnsent?: boolean }): Promise<Settled<{ dropped: number }>>;
  // ---- encryption at rest ----
  /**
   * Re-encrypts the local database with `key` (a rotation), nothing lost; tabs attaching later must
   * give the new key. INVALID_PARAMS when the database is not encrypted.
   */
  changeKey(key: string): Promise<Settled<null>>;
  // ---- notifications ----
  /** A tab's view (visible, notifications on), reported as it changes and every VIEW_REFRESH_MS. */
  setTabView(tabId: string, view: TabView): void;
  /** The tab picked for this message showed its notification. */
  notificationShown(messageId: string): void;
  // ---- local-first messaging (needs the local store) ----
  /** Stores the message as pending and returns it; the outbox sends it. */
  send(conversationId: string, content: Content, id?: string): Promise<Settled<LocalMessage>>;
  /** A media message: its files are stored with it, uploaded when online, then it is sent. */
  sendMedia(conversationId: string, draft: MediaDraft, id?: string): Promise<Settled<LocalMessage>>;
  /** The stored bytes behind a `local:` ref of a pending message; null once sent or deleted. */
  localMedia(ref: string): Promise<Settled<LocalFile | null>>;
  /** Loadable URLs (absolute) for `/media/<key>` paths: signed, or bare while offline. */
  signMedia(paths: string[]): Promise<Settled<Record<string, string>>>;
  resend(id: string): Promise<Settled<null>>;
  deletePending(id: string): Promise<Settled<null>>;
  /** Recall an own message (deleted outright while unsent): every device shows it as recalled. */
  recall(id: string): Promise<Settled<null>>;
  /** Delete a message for this user on this device only. */
  deleteForMe(senderId: string, id: string): Promise<Settled<null>>;
  markRead(conversationId: string): Promise<Settled<null>>;
  /** Fetch messages newer than what is stored (a tab opened the conversation). */
  refresh(conversationId: string): Promise<Settled<null>>;
  loadOlder(conversationId: string, beforeSeq: number, limit: number): Promise<Settled<LocalMessage[]>>;
  search(query: string, limit: number): Promise<Settled<LocalMessage[]>>;
  /** What the local database holds: cursor, outbox with errors, each conversation's positions. */
  diagnostics(): Promise<Settled<StoreDiagnostics>>;
  /** Subscribe: updates arrive on the events port as `live` messages with this id. */
  watch(query: LiveQuery): Promise<Settled<string>>;
  unwatch(id: string): void;
}

/** Frames on the events port, worker → tab, in order. */
export type EventMessage = { kind: 'event'; event: EngineEvent } | { kind: 'live'; id: string; update: LiveUpdate };
