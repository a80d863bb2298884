/**
 * What every Store must do, whatever it is built on: the behaviour sessions and handlers rely on.
 * `storeContract` registers the suite for one backend; a backend's test file calls it with a
 * factory for a fresh store in which one shop (`shopId`) exists.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Content } from '../../schema';
import type { Identity } from '../../server/auth/tokens';
import type { CommittedEvent, SendInput, Store } from '../../server/store/Store';

export interface ContractStore {
  store: Store;
  /** A shop the store knows. */
  shopId: string;
  close(): Promise<void>;
}

const text = (t: string): Content => ({ type: 'text', text: t });
const customer = (name: string): Identity => ({ userId: `${name}-${randomUUID().slice(0, 8)}`, role: 'customer', shopId: null, displayName: name });
const supplier = (name: string): Identity => ({ userId: `${name}-${randomUUID().slice(0, 8)}`, role: 'supplier', shopId: null, displayName: name });

export function storeContract(name: string, open: () => Promise<ContractStore>): void {
  describe(`Store contract: ${name}`, () => {
    let s: ContractStore;
    beforeEach(async () => {
      s = await open();
    });
    afterEach(() => s.close());

    async function direct(): Promise<{ alice: Identity; conversationId: string }> {
      const alice = customer('alice');
      await s.store.upsertUser(alice);
      const opened = await s.store.openDirect(alice, s.shopId);
      if (!opened) throw new Error('the shop is unknown to the store');
      return { alice, conversationId: opened.conversation.id };
    }

    /** A second conversation of `member`'s: a group a supplier makes with them. */
    async function groupWith(member: Identity) {
      const bob = supplier('bob');
      await s.store.upsertUser(bob);
      return { ...(await s.store.createGroup(bob, 'g', [member.userId])), creator: bob };
    }

    const input = (sender: Identity, conversationId: string, clientId = randomUUID(), body = 'hi'): SendInput => ({ sender, conversationId, clientId, content: text(body) });

    it('stores a send once per (sender, client id): a retry is a duplicate with the same seq', async () => {
      const { alice, conversationId } = await direct();
      const first = input(alice, conversationId);
      const stored = await s.store.send(first);
      const again = await s.store.send(first);
      expect(stored.kind).toBe('stored');
      expect(again).toEqual({ kind: 'duplicate', message: (stored as { message: unknown }).message });
      expect((await s.store.range(conversationId, 0, 10)).messages).toHaveLength(1);
    });

    it('refuses a client id reused for another conversation (conflict), storing nothing', async () => {
      const { alice, conversationId } = await direct();
      const group = await groupWith(alice);
      const clientId = randomUUID();
      expect((await s.store.send(input(alice, conversationId, clientId))).kind).toBe('stored');
      expect(await s.store.send(input(alice, group.conversation.id, clientId))).toEqual({ kind: 'conflict' });
      expect((await s.store.range(group.conversation.id, 0, 10)).messages).toHaveLength(0);
    });

    it('gives concurrent sends gapless seqs from 1, in an order range and history agree on', async () => {
      const { alice, conversationId } = await direct();
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => s.store.send(input(alice, conversationId, randomUUID(), `m${i}`))));
      const seqs = outcomes.map((o) => (o.kind === 'stored' ? o.message.seq : -1)).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      const { messages } = await s.store.range(conversationId, 0, 100);
      expect(messages.map((m) => m.seq)).toEqual(seqs);
      const older = await s.store.history(conversationId, undefined, 100);
      expect(older.messages).toEqual(messages);
    });

    it('stores a batch in its order and stops after a conflict: nothing after it is stored', async () => {
      const { alice, conversationId } = await direct();
      const elsewhere = await groupWith(alice);
      const reused = randomUUID();
      await s.store.send(input(alice, elsewhere.conversation.id, reused));
      const outcomes = await s.store.sendBatch([
        input(alice, conversationId, randomUUID(), 'one'),
        input(alice, conversationId, randomUUID(), 'two'),
        input(alice, conversationId, reused, 'three'),
        input(alice, conversationId, randomUUID(), 'four'),
      ]);
      expect(outcomes.map((o) => o.kind)).toEqual(['stored', 'stored', 'conflict']);
      const { messages } = await s.store.range(conversationId, 0, 10);
      expect(messages.map((m) => (m.content as { text: string }).text)).toEqual(['one', 'two']);
      expect(messages.map((m) => m.seq)).toEqual([1, 2]);
    });

    it("recalls the sender's own message within the window, once, in the stream and in history; no one else's, not late", async () => {
      const { alice, conversationId } = await direct();
      const sent = await s.store.send(input(alice, conversationId, randomUUID(), 'oops, my address'));
      const message = (sent as { message: { id: string; seq: number } }).message;
      const agent: Identity = { userId: `agent-${randomUUID().slice(0, 8)}`, role: 'merchant', shopId: s.shopId, displayName: 'agent' };
      expect(await s.store.recall({ sender: agent, conversationId, messageId: message.id, windowMs: 60_000 })).toEqual({ kind: 'not_found' });
      expect(await s.store.recall({ sender: alice, conversationId, messageId: message.id, windowMs: -1 })).toEqual({ kind: 'too_late' });
      const head = await s.store.headCursor(alice);
      const recalled = await s.store.recall({ sender: alice, conversationId, messageId: message.id, windowMs: 60_000 });
      expect(recalled).toMatchObject({ kind: 'recalled', message: { id: message.id, seq: message.seq, content: { type: 'recalled' } } });
      expect(await s.store.recall({ sender: alice, conversationId, messageId: message.id, windowMs: 60_000 })).toMatchObject({ kind: 'already' });
      const { events } = await s.store.eventsAfter(alice, head, 10);
      expect(events.map((e) => e.event)).toEqual([{ kind: 'recall', conversationId, senderId: alice.userId, messageId: message.id, seq: message.seq }]);
      const { messages } = await s.store.history(conversationId, undefined, 10);
      expect(messages.map((m) => m.content)).toEqual([{ type: 'recalled' }]);
      expect(JSON.stringify(messages)).not.toContain('my address');
    });

    it('moves receipts only forward, and never past the last message', async () => {
      const { alice, conversationId } = await direct();
      for (let i = 0; i < 5; i++) await s.store.send(input(alice, conversationId));
      expect(await s.store.receipt(s.shopId, conversationId, 'read', 3)).toEqual({ seq: 3 });
      expect(await s.store.receipt(s.shopId, conversationId, 'read', 2)).toEqual({ seq: 3 });
      expect(await s.store.receipt(s.shopId, conversationId, 'read', 99)).toEqual({ seq: 5 });
    });

    it("replays a user's stream after any cursor, ascending, in pages, only their conversations", async () => {
      const { alice, conversationId } = await direct();
      const { alice: stranger, conversationId: theirs } = await direct();
      for (let i = 0; i < 7; i++) {
        await s.store.send(input(alice, conversationId, randomUUID(), `a${i}`));
        await s.store.send(input(stranger, theirs, randomUUID(), `s${i}`));
      }
      const all: number[] = [];
      let cursor = 0;
      for (let page = 0; page < 20; page++) {
        const { events, hasMore } = await s.store.eventsAfter(alice, cursor, 3);
        expect(events.length).toBeLessThanOrEqual(3);
        for (const e of events) {
          expect(e.cursor).toBeGreaterThan(cursor);
          if (e.event.kind === 'message') expect(e.event.message.conversationId).toBe(conversationId);
          all.push(e.cursor);
          cursor = e.cursor;
        }
        if (!hasMore) break;
      }
      expect(all).toEqual([...all].sort((a, b) => a - b));
      // The conversation event and the 7 messages, nothing of the stranger's.
      expect(all).toHaveLength(8);
      expect(await s.store.headCursor(alice)).toBe(all.at(-1));
      // From the middle: exactly the rest.
      const rest = await s.store.eventsAfter(alice, all[3]!, 100);
      expect(rest.events.map((e) => e.cursor)).toEqual(all.slice(4));
    });

    it('hands each commit its events in cursor order, the ones a replay returns', async () => {
      const { alice, conversationId } = await direct();
      const heard: CommittedEvent[] = [];
      s.store.onCommitted((events) => heard.push(...events));
      await Promise.all(Array.from({ length: 10 }, () => s.store.send(input(alice, conversationId))));
      const cursors = heard.map((e) => e.cursor);
      expect(cursors).toHaveLength(10);
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
      const replayed = await s.store.eventsAfter(alice, cursors[0]! - 1, 100);
      expect(replayed.events.map((e) => e.cursor)).toEqual(cursors);
    });

    it('pages the conversations by id, each as the list shows it, with the unread count', async () => {
      const { alice, conversationId } = await direct();
      const second = await groupWith(alice);
      const third = await groupWith(alice);
      for (let i = 0; i < 3; i++) await s.store.send(input(second.creator, second.conversation.id));
      await s.store.send(input(alice, conversationId));
      const ids = [conversationId, second.conversation.id, third.conversation.id].sort();
      const first = await s.store.conversationPage(alice, undefined, 2);
      expect(first.hasMore).toBe(true);
      const rest = await s.store.conversationPage(alice, first.conversations.at(-1)!.id, 2);
      expect(rest.hasMore).toBe(false);
      const all = [...first.conversations, ...rest.conversations];
      expect(all.map((c) => c.id)).toEqual(ids);
      const listed = (await s.store.listConversations(alice, 10, 0)).conversations;
      expect(new Map(all.map((c) => [c.id, c]))).toEqual(new Map(listed.map((c) => [c.id, c])));
    });

    it('prunes the oldest events only: history stays, replays skip what went, prunedAfter says who missed it, the head never drops', async () => {
      const { alice, conversationId } = await direct();
      const { alice: quiet, conversationId: quietOne } = await direct();
      await s.store.send(input(quiet, quietOne));
      for (let i = 0; i < 6; i++) await s.store.send(input(alice, conversationId, randomUUID(), `a${i}`));
      const before = (await s.store.eventsAfter(alice, 0, 100)).events.map((e) => e.cursor);
      const quietCursor = (await s.store.eventsAfter(quiet, 0, 100)).events.at(-1)!.cursor;
      const head = await s.store.streamHead();
      expect(head).toBe(before.at(-1));

      // Nothing is older than the epoch's start of time.
      expect(await s.store.prune(0, 100)).toEqual({ pruned: 0, horizon: 0 });
      // The oldest first, `limit` at a time: the two conversation events and quiet's message, then alice's first two.
      const pruned = await s.store.prune(Date.now() + 60_000, 3);
      expect(pruned.pruned).toBe(3);
      const more = await s.store.prune(Date.now() + 60_000, 2);
      expect(more).toEqual({ pruned: 2, horizon: before[2]! });

      expect((await s.store.eventsAfter(alice, 0, 100)).events.map((e) => e.cursor)).toEqual(before.slice(3));
      expect(await s.store.prunedAfter(alice, 0)).toBe(true);
      expect(await s.store.prunedAfter(alice, before[1]!)).toBe(true);
      // Past what went from alice's conversation, a replay misses nothing.
      expect(await s.store.prunedAfter(alice, before[2]!)).toBe(false);
      // quiet had a cursor past everything pruned from their conversation: nothing missed.
      expect(await s.store.prunedAfter(quiet, quietCursor)).toBe(false);
      expect(await s.store.prunedAfter(quiet, 0)).toBe(true);
      // Conversations and messages are history: all kept.
      expect((await s.store.range(conversationId, 0, 100)).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await s.store.conversationPage(alice, undefined, 10)).conversations.map((c) => c.id)).toEqual([conversationId]);
      // seqsAt reads what stays: at the head every message is held, at a cursor before the last two, four.
      const at = async (cursor: number) => (await s.store.seqsAt(alice, cursor, undefined, 10)).conversations;
      expect(await at(head)).toEqual([{ conversationId, seq: 6 }]);
      expect(await at(before.at(-3)!)).toEqual([{ conversationId, seq: 4 }]);
      // Pruning everything leaves the heads where they were.
      await s.store.prune(Date.now() + 60_000, 100);
      expect(await s.store.streamHead()).toBe(head);
      expect(await s.store.headCursor(alice)).toBe(head);
      expect(await s.store.headCursor(quiet)).toBe(quietCursor);
      expect(await s.store.prunedAfter(alice, head)).toBe(false);
    });

    it("never lowers a device's recorded cursor", async () => {
      await s.store.setDeviceCursor('u1', 'd1', 10);
      await s.store.setDeviceCursor('u1', 'd1', 4);
      expect(await s.store.getDeviceCursor('u1', 'd1')).toBe(10);
      expect(await s.store.getDeviceCursor('u1', 'other')).toBe(0);
    });
  });
}
