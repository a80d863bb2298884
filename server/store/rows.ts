/**
 * The rows both stores read (SQLite and PostgreSQL share the column names) and their mapping to the
 * schema's types.
 */
import type { Content, ConversationInfo, Member, Message, PushEvent, Role } from '../../schema';
import type { EventOrigin, MediaRecord } from './Store';

export interface ConversationRow {
  id: string;
  kind: 'direct' | 'group';
  title: string;
  shop_id: string | null;
  created_at: number;
  last_seq: number;
  last_activity_at: number;
}
export interface MessageRow {
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_id: string;
  content: string;
  server_ts: number;
}

/** A recalled message's content as stored (compared as text: the store writes exactly this). */
export const RECALLED_JSON = JSON.stringify({ type: 'recalled' });

export const toInfo = (r: ConversationRow): ConversationInfo => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  shopId: r.shop_id,
  createdAt: r.created_at,
  lastSeq: r.last_seq,
  lastActivityAt: r.last_activity_at,
});

export const toMessage = (r: MessageRow): Message => ({
  id: r.client_id,
  conversationId: r.conversation_id,
  seq: r.seq,
  senderId: r.sender_id,
  content: JSON.parse(r.content) as Content,
  serverTs: r.server_ts,
});

/** An event joined to its message (message events carry no payload of their own). */
export interface EventRow extends Partial<MessageRow> {
  pos: number;
  kind: string;
  payload: string | null;
  ev_conversation_id: string;
  origin_user: string | null;
  origin_device: string | null;
}

/** The event an event row holds: its message, or its payload. */
export const toPushEvent = (r: EventRow): PushEvent => (r.kind === 'message' ? { kind: 'message', message: toMessage(r as MessageRow) } : (JSON.parse(r.payload!) as PushEvent));

/** The device whose send appended the event, when it recorded one. */
export const toOrigin = (r: EventRow): { origin?: EventOrigin } =>
  r.origin_user !== null && r.origin_device !== null ? { origin: { userId: r.origin_user, deviceId: r.origin_device } } : {};

/** A member row joined to its user (or shop) for the name and role the member list shows. */
export interface MemberRow {
  member_id: string;
  kind: 'user' | 'shop';
  delivered_seq: number;
  read_seq: number;
  role: Role | null;
  display_name: string;
}

export const toMember = (r: MemberRow): Member => ({
  id: r.member_id,
  kind: r.kind,
  role: r.kind === 'shop' ? 'merchant' : (r.role ?? 'customer'),
  displayName: r.display_name,
  deliveredSeq: r.delivered_seq,
  readSeq: r.read_seq,
});

export interface MediaRow {
  key: string;
  conversation_id: string;
  owner_id: string;
  kind: string;
  mime: string;
  bytes: number;
  upload_id: string | null;
  created_at: number;
}

export const toMediaRecord = (r: MediaRow): MediaRecord => ({
  key: r.key,
  conversationId: r.conversation_id,
  ownerId: r.owner_id,
  kind: r.kind,
  mime: r.mime,
  bytes: r.bytes,
  uploadId: r.upload_id,
  createdAt: r.created_at,
});
