/**
 * Everything the server keeps. The embedded default is SQLite (SqliteStore); the interface is
 * async so a networked database can implement it too. Writes that change what users see append
 * push events; every appended event reaches the `onCommitted` listeners once its commit is
 * durable, in commit (cursor) order, before the write's promise settles. Fan-out hangs off that,
 * so no caller's continuation can reorder events on their way to the hub.
 */
import type { Assignment, QuickReply } from '../../schema';
import type {
  Content,
  ConversationInfo,
  ConversationView,
  Member,
  Message,
  PushEvent,
  ReceiptKind,
  Role,
} from '../../schema';
import type { Identity } from '../auth/tokens';

export interface StoredEvent {
  cursor: number;
  event: PushEvent;
  /** The device whose send appended it (the message and its sender's read receipt); absent otherwise. */
  origin?: EventOrigin;
}

/** Who appended an event: a user's device (devices name themselves at auth; ids are per user). */
export interface EventOrigin {
  userId: string;
  deviceId: string;
}

/** An event of a committed write, with the conversation whose members receive it. */
export interface CommittedEvent extends StoredEvent {
  conversationId: string;
}

export interface SendInput {
  sender: Identity;
  /** The sending device: its events carry it, so that device is not pushed them back. */
  deviceId?: string;
  conversationId: string;
  clientId: string;
  content: Content;
}

export type SendOutcome =
  | { kind: 'stored'; message: Message }
  | { kind: 'duplicate'; message: Message }
  /** The (sender, clientId) pair was already used for another conversation. */
  | { kind: 'conflict' };

export interface RecallInput {
  sender: Identity;
  conversationId: string;
  /** The sender's client id of the message. */
  messageId: string;
  /** How long after its first store the message may be recalled. */
  windowMs: number;
}

export type RecallOutcome =
  /** Recalled now (`message` as it is now: content `{ type: 'recalled' }`), or already before. */
  | { kind: 'recalled' | 'already'; message: Message }
  /** The sender sent no message of that id to that conversation. */
  | { kind: 'not_found' }
  /** Past the window: nothing changed. */
  | { kind: 'too_late' };

export interface UserRecord {
  id: string;
  role: Role;
  shopId: string | null;
  displayName: string;
}

/** An uploaded file: what MediaStorage holds under `key`, and the conversation whose members may read it. */
export interface MediaRecord {
  key: string;
  conversationId: string;
  ownerId: string;
  kind: string;
  mime: string;
  bytes: number;
  uploadId: string | null;
  createdAt: number;
}

export interface MediaIndex {
  /**
   * Record an upload. When (ownerId, uploadId) is already recorded, nothing is written and the
   * earlier record is returned: the caller then discards its own copy of the bytes.
   */
  record(rec: MediaRecord): Promise<{ record: MediaRecord; created: boolean }>;
  get(key: string): Promise<MediaRecord | null>;
  byUpload(ownerId: string, uploadId: string): Promise<MediaRecord | null>;
  /** Bytes of media `ownerId` uploaded and the server keeps (the storage quota counts these). */
  bytesOwnedBy(ownerId: string): Promise<number>;
}

/** An assignment to make (see `desk.assign` in the schema): applied once per `actionId`. */
export interface AssignInput {
  actionId: string;
  shopId: string;
  conversationId: string;
  agentId: string | null;
  note: string | null;
  by: string;
}

/** The service desk's tables: assignments, exactly-once desk actions, the round robin, quick replies. */
export interface DeskStore {
  /** The shop's agents (users whose token named the shop), its latest assignments, its quick replies. */
  state(shopId: string, limit: number): Promise<{ agents: { id: string; displayName: string }[]; assignments: Assignment[]; quickReplies: QuickReply[] }>;
  assignment(conversationId: string): Promise<Assignment | null>;
  /** Apply once per actionId; a repeat changes nothing and answers the assignment now. */
  assign(input: AssignInput): Promise<{ assignment: Assignment; duplicate: boolean }>;
  /**
   * A customer wrote in a conversation nobody handles yet: assign it to the next of `online` agents
   * after the one the shop's round robin gave the last conversation to, or put it in the queue when
   * none is online. Null (nothing done) when it already had an assignment or queue place.
   */
  autoAssign(shopId: string, conversationId: string, online: readonly string[]): Promise<Assignment | null>;
  /** Create or replace by id; resolves with the shop's replies after. */
  saveReply(shopId: string, reply: QuickReply): Promise<QuickReply[]>;
  deleteReply(shopId: string, id: string): Promise<QuickReply[]>;
}

export interface Store {
  /** Who may read which uploaded file. */
  readonly media: MediaIndex;
  /** The shops' service desks. */
  readonly desk: DeskStore;
  /**
   * This run's store epoch. A new one begins at every start, after recovery, at the highest cursor
   * then held: what a device saw of an earlier epoch past that point was lost (a power loss or a
   * restore took it back), and cursor numbers after it may be reused by new events.
   */
  readonly epoch: string;
  /**
   * The last cursor of `epoch` the server still holds: null for the current epoch (nothing lost);
   * for an earlier one, where the next epoch began; for one it does not know, where the current
   * epoch began.
   */
  epochEnd(epoch: string): Promise<number | null>;
  /** The user's conversations after `afterId` (by id), each with its highest message seq whose event is at or below `cursor`. */
  seqsAt(user: Identity, cursor: number, afterId: string | undefined, limit: number): Promise<{ conversations: { conversationId: string; seq: number }[]; hasMore: boolean }>;
  /** Called after each commit with the events it appended, in cursor order (none: not called). */
  onCommitted(listener: (events: readonly CommittedEvent[]) => void): void;
  upsertUser(user: Identity): Promise<void>;
  /** The known users among these ids (users are known from seeding or a past auth). */
  users(ids: readonly string[]): Promise<Map<string, UserRecord>>;
  getConversation(id: string): Promise<ConversationInfo | null>;
  /** The party a user speaks for in a conversation (their shop, for a merchant in a shop chat), or null if not a participant. */
  partyIn(user: Identity, conversationId: string): Promise<string | null>;
  listConversations(user: Identity, limit: number, offset: number): Promise<{ conversations: ConversationView[]; total: number }>;
  /** The customer's conversation with a shop, created on first call. */
  openDirect(customer: Identity, shopId: string): Promise<{ conversation: ConversationInfo } | null>;
  /**
   * A group of the creator and `memberIds` (users). A merchant creates it in its shop's name: the
   * shop is the member (any of its agents speaks for it) and the group's shopId.
   */
  createGroup(creator: Identity, title: string, memberIds: readonly string[]): Promise<{ conversation: ConversationInfo }>;
  listMembers(conversationId: string): Promise<Member[]>;
  /** Every user who should receive the conversation's events (shop members expand to agents). */
  recipients(conversationId: string): Promise<string[]>;
  history(conversationId: string, beforeSeq: number | undefined, limit: number): Promise<{ messages: Message[]; hasMore: boolean }>;
  range(conversationId: string, afterSeq: number, limit: number): Promise<{ messages: Message[]; hasMore: boolean }>;
  send(input: SendInput): Promise<SendOutcome>;
  /**
   * Sends in order, in one commit (one fsync for the lot, not one each). Stops after the first
   * conflict, whose outcome is the last: nothing stored follows what was not. A write that throws
   * stores none of them.
   */
  sendBatch(inputs: readonly SendInput[]): Promise<SendOutcome[]>;
  /**
   * Replace the sender's message with the recalled placeholder and append a `recall` event for the
   * conversation's members, in one commit. The original content is not kept.
   */
  recall(input: RecallInput): Promise<RecallOutcome>;
  /** Advance a party's delivered/read position; never moves backwards. Resolves with the position after. */
  receipt(party: string, conversationId: string, kind: ReceiptKind, upToSeq: number): Promise<{ seq: number }>;
  /** The user's push stream after a cursor, ascending. Pruned events are gone: see {@link prunedAfter}. */
  eventsAfter(user: Identity, cursor: number, limit: number): Promise<{ events: StoredEvent[]; hasMore: boolean }>;
  /** The newest cursor in the user's stream. */
  headCursor(user: Identity): Promise<number>;
  /**
   * The highest cursor ever assigned, in every user's stream (pruning does not lower it). A device
   * that loads the head and then takes the stream after this has missed nothing.
   */
  streamHead(): Promise<number>;
  /** The user's conversations after `afterId` by id (the stable order for paging a snapshot), as the list shows each. */
  conversationPage(user: Identity, afterId: string | undefined, limit: number): Promise<{ conversations: ConversationView[]; hasMore: boolean }>;
  /**
   * Retention: delete up to `limit` of the oldest push events appended before `before` (ms), in
   * cursor order. Conversations, messages and receipts stay; only the stream's record of them goes.
   * Resolves with how many went and the highest cursor pruned so far (0: none ever).
   */
  prune(before: number, limit: number): Promise<{ pruned: number; horizon: number }>;
  /**
   * True when events of the user's stream after `cursor` were pruned: a replay from there would skip
   * them, so the device must rebuild from the head instead.
   */
  prunedAfter(user: Identity, cursor: number): Promise<boolean>;
  getDeviceCursor(userId: string, deviceId: string): Promise<number>;
  /** Record a device's ack; never lowers it. A fallback only (devices name their own cursor), so it may be written lazily. */
  setDeviceCursor(userId: string, deviceId: string, cursor: number): Promise<void>;
  messageCount(): Promise<number>;
  close(): Promise<void>;
}
