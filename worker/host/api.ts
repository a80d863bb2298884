/**
 * What crosses the tab ↔ engine boundary. Only plain data and ParleyError codes cross it: class
 * instances and AbortSignals do not survive a MessagePort, so timeouts are numbers and errors are
 * matched by `code`.
 */
import type { ErrorCode, RequestParams, RequestResult, RequestType } from '../../schema';
import type { ConnectionState } from '../connection/state';
import type { EngineEvent } from '../engine/events';
import type { EngineOptions } from '../options';
import type { Content } from '../../schema/content';
import type { LocalFile, MediaDraft } from '../media/types';
import type { StoreDiagnostics } from '../store/diagnostics';
import type { StorageDurability } from '../store/SqlDriver';
import type { LocalMessage } from '../store/types';
import type { LiveQuery, LiveResult } from '../sync/LiveQueries';

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
}

export interface AttachResult {
  /** How safe the local database is; a shop may want to tell the shopper. */
  durability: StorageDurability;
  /** Name of the Web Lock the engine's worker holds for its whole life; its release tells tabs it died. */
  workerLock: string;
  state: ConnectionState;
}

/** The engine's API as one tab sees it (a TabSession). */
export interface EngineApi {
  attach(req: AttachRequest, callbacks: TabCallbacks, events: MessagePort): Promise<AttachResult>;
  getState(): ConnectionState;
  request<T extends RequestType>(type: T, params: RequestParams<T>, timeoutMs?: number): Promise<Settled<RequestResult<T>>>;
  reconnect(): void;
  detach(): void;
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
  markRead(conversationId: string): Promise<Settled<null>>;
  /** Fetch messages newer than what is stored (a tab opened the conversation). */
  refresh(conversationId: string): Promise<Settled<null>>;
  loadOlder(conversationId: string, beforeSeq: number, limit: number): Promise<Settled<LocalMessage[]>>;
  search(query: string, limit: number): Promise<Settled<LocalMessage[]>>;
  /** What the local database holds: cursor, outbox with errors, each conversation's positions. */
  diagnostics(): Promise<Settled<StoreDiagnostics>>;
  /** Subscribe: results arrive on the events port as `live` messages with this id. */
  watch(query: LiveQuery): Promise<Settled<string>>;
  unwatch(id: string): void;
}

/** A result that crosses a port intact: errors as their code and message. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };

/** Frames on the events port, worker → tab. */
export type EventMessage =
  | { kind: 'event'; event: EngineEvent }
  | { kind: 'live'; id: string; result: LiveResult };
