/** What the local store holds and returns, as tabs see it. */
import type { Content, ConversationKind, ErrorCode, Message, PushEvent } from '../../schema';

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

/** How far one member (a user, or a shop) has stored and read a conversation, as receipts told us. */
export interface MemberReceipt {
  memberId: string;
  deliveredSeq: number;
  readSeq: number;
}

export interface OutboxItem {
  messageId: string;
  conversationId: string;
  content: Content;
  attempts: number;
  /** Its place in the send order (ascending, never reused). */
  orderKey: number;
}

export interface PushRecord {
  cursor: number;
  event: PushEvent;
}

/** What one ingest changed, so the engine can notify live queries and fill gaps. */
export interface IngestResult {
  /** Highest cursor now stored (unchanged if everything was a duplicate). */
  cursor: number;
  /** Messages newly stored (duplicates excluded). */
  stored: Message[];
  /** Conversations whose messages, states, receipts or metadata changed. */
  changedConversations: string[];
  /** Own messages whose state changed (sent/delivered/read). */
  changedMessages: { conversationId: string; id: string }[];
  /** Holes in a conversation's seq that must be fetched (afterSeq < missing < beforeSeq). */
  gaps: { conversationId: string; afterSeq: number; beforeSeq: number }[];
  /** Conversations whose contiguous stored seq advanced: send a delivered receipt up to it. */
  delivered: { conversationId: string; upToSeq: number }[];
}
