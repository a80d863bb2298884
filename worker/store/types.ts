/** What the local store holds and returns, as tabs see it. */
import type { Content, Message, PushEvent } from '../../schema';

export type { LocalConversation, LocalMessage, MessageState } from '../protocol';

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
