import { describe, expect, it } from 'vitest';
import { REQUEST_TYPES } from '../../../schema';
import { DISCONNECT_POLICY, onDisconnect } from '../../../worker/requests';

const CONV = 'c_1';
const CLIENT_ID = '6f1d0c1e-8b1a-4a53-9a0e-2f7c3c1d9b10';

describe('onDisconnect', () => {
  it('has a rule for exactly the request types the schema defines', () => {
    // The compiler enforces this too (satisfies); this catches a schema change made with casts.
    expect(Object.keys(DISCONNECT_POLICY).sort()).toEqual([...REQUEST_TYPES].sort());
  });

  it('requeues reads, which have no side effects', () => {
    expect(onDisconnect('conversations.list', { limit: 20, offset: 0 })).toBe('requeue');
    expect(onDisconnect('conversations.members', { conversationId: CONV })).toBe('requeue');
    expect(onDisconnect('messages.history', { conversationId: CONV, limit: 50 })).toBe('requeue');
    expect(onDisconnect('messages.range', { conversationId: CONV, afterSeq: 3, limit: 50 })).toBe('requeue');
    expect(onDisconnect('sync', { cursor: 0, limit: 500 })).toBe('requeue');
  });

  it('requeues idempotent writes: send (clientId) and the cumulative receipts', () => {
    const content = { type: 'text', text: 'hi' } as const;
    expect(onDisconnect('messages.send', { conversationId: CONV, clientId: CLIENT_ID, content })).toBe('requeue');
    expect(onDisconnect('receipts.delivered', { conversationId: CONV, upToSeq: 4 })).toBe('requeue');
    expect(onDisconnect('conversations.markRead', { conversationId: CONV, upToSeq: 4 })).toBe('requeue');
  });

  it('decides conversations.create by variant: direct requeues, group rejects', () => {
    expect(onDisconnect('conversations.create', { kind: 'direct', shopId: 'parley-shop' })).toBe('requeue');
    expect(onDisconnect('conversations.create', { kind: 'group', title: 'Team', memberIds: ['bob'] })).toBe('reject');
  });
});
