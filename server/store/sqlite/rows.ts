/**
 * The rows the SqliteStore parts read and their mapping to the schema's types, and the member match
 * that conversations, messages and the event log all query by.
 */
import type { Content, ConversationInfo, Message } from '../../../schema';
import type { Identity } from '../../auth/tokens';

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

export const toInfo = (r: ConversationRow): ConversationInfo => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  shopId: r.shop_id,
  createdAt: r.created_at,
  lastSeq: r.last_seq,
  lastActivityAt: r.last_activity_at,
});

/**
 * The member rows a user speaks through: their own (kind 'user') and, for a merchant, their shop's
 * (kind 'shop'). Matched by kind and id together: a user id may equal some shop's id. Binds the
 * user id, then the shop id (NULL matches nothing). `t` qualifies the columns (e.g. 'm.').
 */
export const asParty = (t = ''): string => `((${t}kind = 'user' AND ${t}member_id = ?) OR (${t}kind = 'shop' AND ${t}member_id = ?))`;
export const partyParams = (user: Identity): [string, string | null] => [user.userId, user.shopId];

export const toMessage = (r: MessageRow): Message => ({
  id: r.client_id,
  conversationId: r.conversation_id,
  seq: r.seq,
  senderId: r.sender_id,
  content: JSON.parse(r.content) as Content,
  serverTs: r.server_ts,
});
