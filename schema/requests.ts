/**
 * Request/response pairs, correlated by requestId. Each request type has a params
 * schema (validated by the server) and a result schema (validated by the client).
 */
import * as v from 'valibot';
import { Content } from './content';
import {
  ClientId,
  ConversationInfo,
  ConversationView,
  EntityId,
  Member,
  Message,
  Presence,
  PushEvent,
} from './entities';
import { Assignment, DeskAgent, MAX_NOTE_CHARS, QuickReply } from './desk';

const Seq = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Cursor = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const limit = (max: number) => v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(max));

export const MAX_PAGE = 200;
export const MAX_SYNC_PAGE = 500;
export const MAX_GROUP_MEMBERS = 64;
/** sync.head bounds: conversations per answer, messages per conversation, and the answer's size. */
export const MAX_HEAD_CONVERSATIONS = 50;
export const MAX_HEAD_MESSAGES = 100;
/** Content bytes in one sync.head answer, roughly: past this the answer ends early, with hasMore. */
export const HEAD_ANSWER_BYTES = 512 * 1024;
/** Most messages in one messages.sendBatch (the 64 KiB frame cap bounds it too). */
export const MAX_SEND_BATCH = 100;
/** Most conversations one presence.watch names. */
export const MAX_PRESENCE_WATCH = 100;

/**
 * `echo: false` (protocol 3): do not push the stored messages back to the sending device; it stores
 * them from this answer (the engine's outbox does). Omitted or true: the device gets them pushed
 * like every other event, so a raw request's message still reaches the device's own store.
 */
const EchoParam = v.optional(v.boolean());

export const RequestSchemas = {
  /** The caller's conversations, most recent activity first. */
  'conversations.list': {
    params: v.object({ limit: limit(MAX_PAGE), offset: v.pipe(v.number(), v.safeInteger(), v.minValue(0)) }),
    result: v.object({ conversations: v.array(ConversationView), total: Seq }),
  },
  /** Open a conversation: a customer with a shop (idempotent per pair), or a group. */
  'conversations.create': {
    params: v.variant('kind', [
      v.object({ kind: v.literal('direct'), shopId: EntityId }),
      v.object({
        kind: v.literal('group'),
        title: v.pipe(v.string(), v.minLength(1), v.maxLength(120)),
        /** Other members besides the caller. */
        memberIds: v.pipe(v.array(EntityId), v.minLength(1), v.maxLength(MAX_GROUP_MEMBERS)),
      }),
    ]),
    result: v.object({ conversation: ConversationInfo }),
  },
  'conversations.members': {
    params: v.object({ conversationId: EntityId }),
    result: v.object({ members: v.array(Member) }),
  },
  /** Messages with seq < beforeSeq (or the latest when omitted), ascending by seq. */
  'messages.history': {
    params: v.object({
      conversationId: EntityId,
      beforeSeq: v.optional(v.pipe(Seq, v.minValue(1))),
      limit: limit(MAX_PAGE),
    }),
    result: v.object({ messages: v.array(Message), hasMore: v.boolean() }),
  },
  /** Messages with afterSeq < seq, ascending: how a client fills a gap it detected. */
  'messages.range': {
    params: v.object({ conversationId: EntityId, afterSeq: Seq, limit: limit(MAX_PAGE) }),
    result: v.object({ messages: v.array(Message), hasMore: v.boolean() }),
  },
  /**
   * Store a message. Idempotent on (sender, clientId): every retry gets the first attempt's
   * seq and serverTs. The response is sent only after the message is durably committed.
   */
  'messages.send': {
    params: v.object({ conversationId: EntityId, clientId: ClientId, content: Content, echo: EchoParam }),
    result: v.object({ message: Message, duplicate: v.boolean() }),
  },
  /**
   * Several sends to one conversation in one frame, stored in the given order, each exactly like
   * messages.send. The server stops at the first item that fails: `results` holds one entry per item
   * it got to (all ok but possibly the last), so what was stored always precedes what was not.
   */
  'messages.sendBatch': {
    params: v.object({
      conversationId: EntityId,
      messages: v.pipe(v.array(v.object({ clientId: ClientId, content: Content })), v.minLength(1), v.maxLength(MAX_SEND_BATCH)),
      echo: EchoParam,
    }),
    result: v.object({
      results: v.array(
        v.variant('ok', [
          v.object({ ok: v.literal(true), message: Message, duplicate: v.boolean() }),
          v.object({ ok: v.literal(false), error: v.object({ code: v.string(), message: v.string() }) }),
        ]),
      ),
    }),
  },
  /**
   * Protocol 5: recall one of the caller's own messages within the server's window (2 minutes by
   * default; agents may have another). Its content becomes `{ type: 'recalled' }` on the server and,
   * through a `recall` event, on every device, offline ones when they come back. Idempotent: a
   * repeat answers the recalled message. NOT_FOUND when the caller sent no such message there,
   * RECALL_WINDOW_PASSED when it is too late.
   */
  'messages.recall': {
    params: v.object({ conversationId: EntityId, messageId: ClientId }),
    result: v.object({ message: Message }),
  },
  /** A device stored every message up to upToSeq (contiguously). Forwarded as a receipt. */
  'receipts.delivered': {
    params: v.object({ conversationId: EntityId, upToSeq: Seq }),
    result: v.object({ deliveredSeq: Seq }),
  },
  /** The user read up to upToSeq. Forwarded to every member's devices, the reader's other devices included. */
  'conversations.markRead': {
    params: v.object({ conversationId: EntityId, upToSeq: Seq }),
    result: v.object({ readSeq: Seq }),
  },
  /**
   * Each of the caller's conversations with the highest message seq whose event is at or below
   * `cursor`, by conversation id, paged. What a device told to resync to `cursor` may keep: its
   * messages above these seqs are from history the server lost.
   */
  'conversations.seqsAt': {
    params: v.object({ cursor: Cursor, afterId: v.optional(EntityId), limit: limit(MAX_SYNC_PAGE) }),
    result: v.object({ conversations: v.array(v.object({ conversationId: EntityId, seq: Seq })), hasMore: v.boolean() }),
  },
  /**
   * The head of the caller's conversations, paged by conversation id: each one's view (with the
   * caller's read position and unread count), its latest `messages` (ascending) and its members'
   * delivered/read positions. What a device told to rebuild (`auth_ok.rebuild`) loads instead of
   * the push stream; older messages are paged with messages.history. An answer holds at least one
   * conversation and ends early (hasMore) past HEAD_ANSWER_BYTES of content.
   */
  'sync.head': {
    params: v.object({
      afterId: v.optional(EntityId),
      limit: limit(MAX_HEAD_CONVERSATIONS),
      messages: limit(MAX_HEAD_MESSAGES),
    }),
    result: v.object({
      conversations: v.array(v.object({ conversation: ConversationView, messages: v.array(Message), members: v.array(Member) })),
      hasMore: v.boolean(),
    }),
  },
  /**
   * Protocol 5: watch the presence of the other parties of these conversations, replacing what this
   * socket watched before (an empty list stops). The answer holds, per conversation, the parties
   * the caller may see and their presence now; changes follow as `presence` frames (by subject) until
   * the socket closes. A shop is visible to every member; a customer only
   * to the agents of the conversation's shop; other users to their fellow members. Conversations the
   * caller is not in are FORBIDDEN, as for every request.
   */
  'presence.watch': {
    params: v.object({ conversationIds: v.pipe(v.array(EntityId), v.maxLength(MAX_PRESENCE_WATCH)) }),
    result: v.object({ conversations: v.array(v.object({ conversationId: EntityId, presence: v.array(Presence) })) }),
  },
  /** Protocol 5: the caller is away (or back): what others see while a device of theirs is connected. */
  'presence.set': {
    params: v.object({ status: v.picklist(['online', 'away']) }),
    result: v.object({ status: v.picklist(['online', 'away']) }),
  },
  /**
   * Protocol 5, agents only: the caller's shop desk now: its agents (with presence), the most recent
   * assignments (conversation → agent, or the queue) and the quick replies. Changes follow as
   * `desk` frames to every agent of the shop. Anyone else: FORBIDDEN.
   */
  'desk.state': {
    params: v.object({}),
    result: v.object({ shopId: EntityId, agents: v.array(DeskAgent), assignments: v.array(Assignment), quickReplies: v.array(QuickReply) }),
  },
  /**
   * Protocol 5, agents of the conversation's shop: assign it to an agent of the shop (take it:
   * yourself; transfer it: another, with a `note` only agents see) or back to the queue (null).
   * Exactly once per `actionId` (made by the client when the user acts, so a queued action sent
   * again after a reconnect is applied once): a repeat answers the assignment now, `duplicate`.
   */
  'desk.assign': {
    params: v.object({
      actionId: ClientId,
      conversationId: EntityId,
      agentId: v.nullable(EntityId),
      note: v.optional(v.pipe(v.string(), v.maxLength(MAX_NOTE_CHARS))),
    }),
    result: v.object({ assignment: Assignment, duplicate: v.boolean() }),
  },
  /** Protocol 5, agents: create or replace (by id) one of the shop's quick replies. */
  'desk.replies.save': {
    params: v.object({ reply: QuickReply }),
    result: v.object({ quickReplies: v.array(QuickReply) }),
  },
  /** Protocol 5, agents: delete one of the shop's quick replies (none of that id: nothing changes). */
  'desk.replies.delete': {
    params: v.object({ id: ClientId }),
    result: v.object({ quickReplies: v.array(QuickReply) }),
  },
  /**
   * Protocol 5: the user signs out on this device. Answered, then the server closes this socket
   * (close code 1000, "signed out"). A device that wiped its data comes back without a cursor: a new
   * device, starting at the head.
   */
  'session.signOut': {
    params: v.object({}),
    result: v.object({}),
  },
  /** Pull the push stream after a cursor: catch-up without waiting for replay. */
  sync: {
    params: v.object({ cursor: Cursor, limit: limit(MAX_SYNC_PAGE) }),
    result: v.object({
      events: v.array(v.object({ cursor: Cursor, event: PushEvent })),
      /** Pass this as `cursor` next time; equals the input when nothing was newer. */
      nextCursor: Cursor,
      hasMore: v.boolean(),
    }),
  },
} as const;

export type RequestType = keyof typeof RequestSchemas;
export const REQUEST_TYPES = Object.keys(RequestSchemas) as RequestType[];
export type RequestParams<T extends RequestType> = v.InferOutput<(typeof RequestSchemas)[T]['params']>;
export type RequestResult<T extends RequestType> = v.InferOutput<(typeof RequestSchemas)[T]['result']>;
/** One conversation of a sync.head answer. */
export type HeadEntry = RequestResult<'sync.head'>['conversations'][number];

export function isRequestType(type: string): type is RequestType {
  return Object.prototype.hasOwnProperty.call(RequestSchemas, type);
}
