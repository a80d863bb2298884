/** The nouns of the protocol: users, conversations, members, messages and pushed events. */
import * as v from 'valibot';
import { Content } from './content';

export const Role = {
  CUSTOMER: 'customer',
  MERCHANT: 'merchant',
  SUPPLIER: 'supplier',
  DISTRIBUTOR: 'distributor',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const RoleSchema = v.picklist(Object.values(Role));

export const ConversationKind = { DIRECT: 'direct', GROUP: 'group' } as const;
export type ConversationKind = (typeof ConversationKind)[keyof typeof ConversationKind];

/** User, shop and conversation ids: short, printable, no separators that could confuse a path. */
export const EntityId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'must be a plain id'));
/** A client-generated message id: a UUID, created before the first send attempt. */
export const ClientId = v.pipe(v.string(), v.uuid());
const Seq = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Millis = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** A stored message. `(senderId, id)` is unique; `(conversationId, seq)` orders it. */
export const Message = v.object({
  id: ClientId,
  conversationId: EntityId,
  seq: v.pipe(Seq, v.minValue(1)),
  senderId: EntityId,
  content: Content,
  /** Server time of the first successful store, ms since the epoch. */
  serverTs: Millis,
});
export type Message = v.InferOutput<typeof Message>;

/** What every member sees of a conversation. */
export const ConversationInfo = v.object({
  id: EntityId,
  kind: v.picklist([ConversationKind.DIRECT, ConversationKind.GROUP]),
  title: v.string(),
  /**
   * The shop whose every agent may answer: a customer's conversation with the shop, or a group a
   * shop's agent made in the shop's name (only those may include customers). Null for other groups.
   */
  shopId: v.nullable(EntityId),
  createdAt: Millis,
  /** Highest seq stored in this conversation; 0 when empty. */
  lastSeq: Seq,
  lastActivityAt: Millis,
});
export type ConversationInfo = v.InferOutput<typeof ConversationInfo>;

/** A conversation as one user sees it in a list. */
export const ConversationView = v.object({
  ...ConversationInfo.entries,
  /** The caller's read position. */
  readSeq: Seq,
  /** Messages after readSeq that others sent. */
  unread: Seq,
  lastMessage: v.nullable(Message),
});
export type ConversationView = v.InferOutput<typeof ConversationView>;

export const Member = v.object({
  /** A user id, or a shop id when `kind` is 'shop' (any of its agents speaks for it). */
  id: EntityId,
  kind: v.picklist(['user', 'shop']),
  role: RoleSchema,
  displayName: v.string(),
  /** Highest contiguous seq a device of this member has stored (for a shop: any agent's). */
  deliveredSeq: Seq,
  /** Highest seq this member has read (for a shop: any agent's). */
  readSeq: Seq,
});
export type Member = v.InferOutput<typeof Member>;

export const ReceiptKind = { DELIVERED: 'delivered', READ: 'read' } as const;
export type ReceiptKind = (typeof ReceiptKind)[keyof typeof ReceiptKind];

/** Something that happened in one of the user's conversations, pushed with a cursor. */
export const PushEvent = v.variant('kind', [
  v.object({ kind: v.literal('message'), message: Message }),
  v.object({
    kind: v.literal('receipt'),
    conversationId: EntityId,
    /** The member (a user, or the shop in a shop conversation) that stored or read up to `upToSeq`. */
    userId: EntityId,
    receipt: v.picklist([ReceiptKind.DELIVERED, ReceiptKind.READ]),
    upToSeq: Seq,
  }),
  v.object({ kind: v.literal('conversation'), conversation: ConversationInfo }),
  /**
   * Protocol 5: the sender recalled the message (`senderId`, `messageId`) at `seq`: every copy shows
   * `{ type: 'recalled' }` in its place from now on. Older clients are not pushed it.
   */
  v.object({ kind: v.literal('recall'), conversationId: EntityId, senderId: EntityId, messageId: ClientId, seq: v.pipe(Seq, v.minValue(1)) }),
]);
export type PushEvent = v.InferOutput<typeof PushEvent>;

/**
 * Whether someone is there to answer. A user is online or away while a device of theirs is
 * connected (away when they said so), offline otherwise; a shop is online while any of its agents
 * is, away while agents are connected but all away, offline when none is connected.
 */
export const PresenceState = { ONLINE: 'online', AWAY: 'away', OFFLINE: 'offline' } as const;
export type PresenceState = (typeof PresenceState)[keyof typeof PresenceState];
export const PresenceStateSchema = v.picklist(Object.values(PresenceState));

/** One subject's presence: a user, or a shop as its agents together. */
export const Presence = v.object({ id: EntityId, kind: v.picklist(['user', 'shop']), state: PresenceStateSchema });
export type Presence = v.InferOutput<typeof Presence>;
