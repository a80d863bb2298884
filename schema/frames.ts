/**
 * Every frame on the wire, both directions, as discriminated unions on `t`. The server validates
 * each ClientFrame; the worker validates each ServerFrame. See PROTOCOL.md for the flows.
 */
import * as v from 'valibot';
import { ErrorCode, KickReason, RebuildReason } from './errors';
import { DeskChange } from './desk';
import { EntityId, Presence, PushEvent, RoleSchema } from './entities';

const Cursor = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Millis = v.pipe(v.number(), v.minValue(0));
/** Chosen by the client; unique among its pending requests. */
export const RequestId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a short token'));
const ErrorBody = v.object({ code: v.picklist(Object.values(ErrorCode)), message: v.string() });
/**
 * The server's store epoch: a new one at every start. Cursors and seqs are only comparable within
 * the history the server still holds, so a device names the epoch its cursor comes from.
 */
export const Epoch = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'must be an epoch id'));

// ---- client -> server ----------------------------------------------------------------------

/** First frame of every connection. The token never travels in the URL. */
export const AuthFrame = v.object({
  t: v.literal('auth'),
  v: v.pipe(v.number(), v.safeInteger()),
  token: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  /** Stable per browser profile (or device); the unit of the kick policy and of ack cursors. */
  deviceId: EntityId,
  /** Highest push cursor this device has stored; replay starts after it. Omit to use the server's record. */
  cursor: v.optional(Cursor),
  /** The server epoch `cursor` was stored under (auth_ok's `epoch` when the device stored it); none if it never stored one. */
  epoch: v.optional(Epoch),
});

export const PingFrame = v.object({ t: v.literal('ping'), ts: Millis });

/** params are validated per request type once the type is known (see RequestSchemas). */
export const RequestFrame = v.object({
  t: v.literal('req'),
  id: RequestId,
  type: v.pipe(v.string(), v.maxLength(64)),
  params: v.unknown(),
});

/** Cumulative: the device stored every push with cursor <= this. */
export const AckFrame = v.object({ t: v.literal('ack'), cursor: Cursor });

/**
 * Protocol 5: the user is typing in a conversation (`active`), or stopped. Ephemeral: relayed to
 * the other members' connected devices, never stored, never replayed, never answered. A client
 * sends `active: true` at most every TYPING_RESEND_MS while typing goes on.
 */
export const TypingFrame = v.object({ t: v.literal('typing'), conversationId: EntityId, active: v.boolean() });

export const ClientFrame = v.variant('t', [AuthFrame, PingFrame, RequestFrame, AckFrame, TypingFrame]);
export type AuthFrame = v.InferOutput<typeof AuthFrame>;
export type PingFrame = v.InferOutput<typeof PingFrame>;
export type RequestFrame = v.InferOutput<typeof RequestFrame>;
export type AckFrame = v.InferOutput<typeof AckFrame>;
export type TypingFrame = v.InferOutput<typeof TypingFrame>;
export type ClientFrame = v.InferOutput<typeof ClientFrame>;

// ---- server -> client ----------------------------------------------------------------------

export const AuthOkFrame = v.object({
  t: v.literal('auth_ok'),
  userId: EntityId,
  role: RoleSchema,
  shopId: v.nullable(EntityId),
  displayName: v.string(),
  deviceId: EntityId,
  /** The server's record of this device's acked cursor. */
  ackedCursor: Cursor,
  /** Newest cursor in the user's stream right now. */
  headCursor: Cursor,
  serverTime: Millis,
  /** The server closes a socket silent for longer than idleTimeoutMs. */
  idleTimeoutMs: Millis,
  limits: v.object({ maxFrameBytes: v.number(), maxContentBytes: v.number() }),
  /** The server's store epoch now: store it with the cursors of pushes taken on this socket. */
  epoch: v.optional(Epoch),
  /**
   * The server no longer holds everything this device stored: the history after `cursor` was lost
   * (a power loss or a restore took back commits). The push stream restarts after `cursor`; before
   * taking any push the device rolls back to it (see `conversations.seqsAt`) and stores `epoch`.
   */
  resync: v.optional(v.object({ cursor: Cursor })),
  /**
   * Protocol 4: the stream is not replayed to this device; it starts after `cursor` (the head of the
   * whole stream). Either nothing is stored here yet (`new_device`) or the server pruned events this
   * device had not taken (`pruned`). Before taking any push the device stores `cursor` under `epoch`,
   * keeping what it holds, and loads the head: conversations, their latest pages and receipts
   * (`sync.head`). After `resync`, when both are sent.
   */
  rebuild: v.optional(v.object({ cursor: Cursor, reason: v.picklist(Object.values(RebuildReason)) })),
});

/** Sent just before the server closes with CloseCode.AUTH_FAILED (AUTH_TIMEOUT: CloseCode.AUTH_TIMEOUT). */
export const AuthFailedFrame = v.object({
  t: v.literal('auth_failed'),
  code: v.picklist([
    ErrorCode.AUTH_REQUIRED,
    ErrorCode.AUTH_TIMEOUT,
    ErrorCode.TOKEN_INVALID,
    ErrorCode.TOKEN_EXPIRED,
    ErrorCode.UNSUPPORTED_VERSION,
  ]),
  message: v.string(),
  /** With UNSUPPORTED_VERSION: what the server speaks. */
  supportedVersions: v.optional(v.array(v.number())),
});

export const PongFrame = v.object({ t: v.literal('pong'), ts: Millis, serverTime: Millis });

/** result is validated per request type by the client, which knows what it asked. */
export const ResponseFrame = v.variant('ok', [
  v.object({ t: v.literal('res'), id: RequestId, ok: v.literal(true), result: v.unknown() }),
  v.object({ t: v.literal('res'), id: RequestId, ok: v.literal(false), error: ErrorBody }),
]);

/**
 * `prev`: the cursor of the push sent before this one on this socket's stream (the stream's start
 * for the first). A client whose stored cursor is below `prev` has missed pushes in between and
 * must not ack past them: it replays from what it stored.
 */
export const PushFrame = v.object({ t: v.literal('push'), cursor: Cursor, prev: v.optional(Cursor), event: PushEvent });

/** Sent just before the server closes with CloseCode.KICKED. Not a network failure: do not reconnect. */
export const KickFrame = v.object({
  t: v.literal('kick'),
  reason: v.picklist(Object.values(KickReason)),
  message: v.string(),
});

/** A frame-level problem not tied to a request (e.g. malformed JSON). The connection stays open. */
export const ErrorFrame = v.object({ t: v.literal('error'), ...ErrorBody.entries });

/**
 * Protocol 5: a member of the conversation is typing (or stopped). `from` is the party: a user id,
 * or the shop's id when one of its agents types (which agent is not said). A receiver drops an
 * `active` notice TYPING_TTL_MS after it came unless another renews it. Ephemeral, like TypingFrame.
 */
export const TypingNoticeFrame = v.object({
  t: v.literal('typing'),
  conversationId: EntityId,
  from: EntityId,
  fromKind: v.picklist(['user', 'shop']),
  active: v.boolean(),
});

/**
 * Protocol 5: presence changed for subjects this socket watches (`presence.watch`). Ephemeral: a
 * reconnecting device asks again with presence.watch, whose answer holds the state then.
 */
export const PresenceFrame = v.object({ t: v.literal('presence'), presence: v.pipe(v.array(Presence), v.maxLength(1000)) });

/** Protocol 5: something changed at the desk of the shop this agent works for (see schema/desk.ts). */
export const DeskFrame = v.object({ t: v.literal('desk'), shopId: EntityId, change: DeskChange });

export const ServerFrame = v.variant('t', [
  AuthOkFrame,
  AuthFailedFrame,
  PongFrame,
  ResponseFrame,
  PushFrame,
  KickFrame,
  ErrorFrame,
  TypingNoticeFrame,
  PresenceFrame,
  DeskFrame,
]);
export type AuthOkFrame = v.InferOutput<typeof AuthOkFrame>;
export type AuthFailedFrame = v.InferOutput<typeof AuthFailedFrame>;
export type PongFrame = v.InferOutput<typeof PongFrame>;
export type ResponseFrame = v.InferOutput<typeof ResponseFrame>;
export type PushFrame = v.InferOutput<typeof PushFrame>;
export type KickFrame = v.InferOutput<typeof KickFrame>;
export type ErrorFrame = v.InferOutput<typeof ErrorFrame>;
export type TypingNoticeFrame = v.InferOutput<typeof TypingNoticeFrame>;
export type PresenceFrame = v.InferOutput<typeof PresenceFrame>;
export type DeskFrame = v.InferOutput<typeof DeskFrame>;
export type ServerFrame = v.InferOutput<typeof ServerFrame>;
