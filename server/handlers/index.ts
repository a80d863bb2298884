/** Request type -> handler. The compiler checks every request type has one. */
import type { RequestHandlers } from './context';
import { createConversation, listConversations, listMembers } from './conversations';
import { history, range, recall, send, sendBatch } from './messages';
import { delivered, markRead } from './receipts';
import { deleteQuickReply, deskAssign, deskState, saveQuickReply } from './desk';
import { setPresence, watchPresence } from './presence';
import { signOut } from './session';
import { head, seqsAt, sync } from './sync';

export type { RequestContext, RequestHandlers } from './context';

export const handlers: RequestHandlers = {
  'conversations.list': listConversations,
  'conversations.create': createConversation,
  'conversations.members': listMembers,
  'messages.history': history,
  'messages.range': range,
  'messages.send': send,
  'messages.sendBatch': sendBatch,
  'messages.recall': recall,
  'receipts.delivered': delivered,
  'conversations.markRead': markRead,
  'conversations.seqsAt': seqsAt,
  'sync.head': head,
  'presence.watch': watchPresence,
  'presence.set': setPresence,
  'session.signOut': signOut,
  'desk.state': deskState,
  'desk.assign': deskAssign,
  'desk.replies.save': saveQuickReply,
  'desk.replies.delete': deleteQuickReply,
  sync,
};
