/**
 * What both backends answer the same way: each Store method below is one call to the part that
 * owns it (users, conversations, messages, the event log, retention). A backend builds its parts
 * and adds what differs: opening, the epoch, the commit listener, device cursors, closing.
 */
import type { Identity } from '../auth/tokens';
import type { ReceiptKind } from '../../schema';
import type { RecallInput, SendInput, Store } from './Store';

export interface StoreParts {
  userRecords: Pick<Store, 'upsertUser' | 'users'>;
  conversations: Pick<Store, 'getConversation' | 'partyIn' | 'listConversations' | 'openDirect' | 'createGroup' | 'listMembers' | 'recipients' | 'conversationPage'>;
  messages: Pick<Store, 'history' | 'range' | 'send' | 'sendBatch' | 'recall' | 'receipt' | 'messageCount'>;
  eventLog: Pick<Store, 'seqsAt' | 'eventsAfter' | 'headCursor' | 'streamHead'>;
  retention: Pick<Store, 'prune' | 'prunedAfter'>;
}

export abstract class ComposedStore {
  protected abstract readonly parts: StoreParts;

  upsertUser(u: Identity) {
    return this.parts.userRecords.upsertUser(u);
  }
  users(ids: readonly string[]) {
    return this.parts.userRecords.users(ids);
  }

  getConversation(id: string) {
    return this.parts.conversations.getConversation(id);
  }
  partyIn(user: Identity, conversationId: string) {
    return this.parts.conversations.partyIn(user, conversationId);
  }
  listConversations(user: Identity, limit: number, offset: number) {
    return this.parts.conversations.listConversations(user, limit, offset);
  }
  openDirect(customer: Identity, shopId: string) {
    return this.parts.conversations.openDirect(customer, shopId);
  }
  createGroup(creator: Identity, title: string, memberIds: readonly string[]) {
    return this.parts.conversations.createGroup(creator, title, memberIds);
  }
  listMembers(conversationId: string) {
    return this.parts.conversations.listMembers(conversationId);
  }
  recipients(conversationId: string) {
    return this.parts.conversations.recipients(conversationId);
  }
  conversationPage(user: Identity, afterId: string | undefined, limit: number) {
    return this.parts.conversations.conversationPage(user, afterId, limit);
  }

  history(conversationId: string, beforeSeq: number | undefined, limit: number) {
    return this.parts.messages.history(conversationId, beforeSeq, limit);
  }
  range(conversationId: string, afterSeq: number, limit: number) {
    return this.parts.messages.range(conversationId, afterSeq, limit);
  }
  send(input: SendInput) {
    return this.parts.messages.send(input);
  }
  sendBatch(inputs: readonly SendInput[]) {
    return this.parts.messages.sendBatch(inputs);
  }
  recall(input: RecallInput) {
    return this.parts.messages.recall(input);
  }
  receipt(party: string, conversationId: string, kind: ReceiptKind, upToSeq: number) {
    return this.parts.messages.receipt(party, conversationId, kind, upToSeq);
  }
  messageCount() {
    return this.parts.messages.messageCount();
  }

  seqsAt(user: Identity, cursor: number, afterId: string | undefined, limit: number) {
    return this.parts.eventLog.seqsAt(user, cursor, afterId, limit);
  }
  eventsAfter(user: Identity, cursor: number, limit: number) {
    return this.parts.eventLog.eventsAfter(user, cursor, limit);
  }
  headCursor(user: Identity) {
    return this.parts.eventLog.headCursor(user);
  }
  streamHead() {
    return this.parts.eventLog.streamHead();
  }

  prune(before: number, limit: number) {
    return this.parts.retention.prune(before, limit);
  }
  prunedAfter(user: Identity, cursor: number) {
    return this.parts.retention.prunedAfter(user, cursor);
  }
}
