/**
 * Several nodes on one PostgreSQL database: two PgStores on one schema stand for two nodes. Seqs
 * stay gapless under concurrent senders on both, a retry landing on the other node gets the first
 * one's seq, and each node's feed hears the whole stream in cursor order, from Redis or, without
 * it, from the position check.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Content } from '../../schema';
import type { Identity } from '../../server/auth/tokens';
import { RedisBroker } from '../../server/cluster/RedisBroker';
import { StreamRelay } from '../../server/cluster/StreamRelay';
import { PgStore } from '../../server/store/postgres/PgStore';
import type { CommittedEvent, SendInput } from '../../server/store/Store';
import { databaseUrl, dropSchema, freshSchema, redisUrl, SKIP_NOTE } from '../support/services';

const text = (t: string): Content => ({ type: 'text', text: t });
const SHOP = 'cluster-shop';

const url = databaseUrl;
describe.skipIf(!url)(`PostgreSQL cluster${url ? '' : ` (${SKIP_NOTE})`}`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  /** `n` nodes on a fresh schema; with `relay`, joined by Redis. */
  async function nodes(n: number, opts: { relay?: boolean; checkMs?: number } = {}): Promise<PgStore[]> {
    const schema = freshSchema();
    cleanups.push(() => dropSchema(schema));
    const made: PgStore[] = [];
    for (let i = 0; i < n; i++) {
      const broker = opts.relay ? await RedisBroker.connect({ url: redisUrl! }) : null;
      let relay: StreamRelay | null = null;
      const store = await PgStore.open({ url: url!, schema, now: Date.now, poolSize: 4, checkMs: opts.checkMs ?? 60_000, publish: (e) => relay?.publish(e) });
      if (broker) {
        relay = new StreamRelay(broker, store.epoch);
        await relay.start(store.feed);
      }
      cleanups.push(async () => {
        await store.close();
        await broker?.close();
      });
      made.push(store);
    }
    await made[0]!.seed([{ id: SHOP, name: 'Shop' }], []);
    return made;
  }

  async function direct(store: PgStore): Promise<{ alice: Identity; conversationId: string }> {
    const alice: Identity = { userId: `alice-${randomUUID().slice(0, 8)}`, role: 'customer', shopId: null, displayName: 'Alice' };
    await store.upsertUser(alice);
    const opened = await store.openDirect(alice, SHOP);
    return { alice, conversationId: opened!.conversation.id };
  }

  const input = (sender: Identity, conversationId: string, clientId = randomUUID()): SendInput => ({ sender, conversationId, clientId, content: text(clientId) });

  it('keeps seqs gapless under concurrent senders on two nodes', async () => {
    const [a, b] = await nodes(2);
    const { alice, conversationId } = await direct(a!);
    const sends = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a! : b!).send(input(alice, conversationId)));
    const seqs = (await Promise.all(sends)).map((o) => (o.kind === 'stored' ? o.message.seq : -1)).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect((await b!.getConversation(conversationId))!.lastSeq).toBe(60);
  });

  it('gives a retry that lands on the other node, even at the same moment, the first one\'s seq', async () => {
    const [a, b] = await nodes(2);
    const { alice, conversationId } = await direct(a!);
    for (let round = 0; round < 10; round++) {
      const same = input(alice, conversationId);
      const [x, y] = await Promise.all([a!.send(same), b!.send(same)]);
      expect([x!.kind, y!.kind].sort()).toEqual(['duplicate', 'stored']);
      expect((x as { message: { seq: number } }).message.seq).toBe((y as { message: { seq: number } }).message.seq);
    }
    expect((await a!.range(conversationId, 0, 100)).messages.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('refuses a client id reused for another conversation on the other node at the same moment', async () => {
    const [a, b] = await nodes(2);
    const { alice, conversationId } = await direct(a!);
    const bob: Identity = { userId: `bob-${randomUUID().slice(0, 8)}`, role: 'supplier', shopId: null, displayName: 'Bob' };
    await b!.upsertUser(bob);
    const group = await b!.createGroup(bob, 'g', [alice.userId]);
    const clientId = randomUUID();
    const outcomes = await Promise.all([a!.send(input(alice, conversationId, clientId)), b!.send(input(alice, group.conversation.id, clientId))]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['conflict', 'stored']);
  });

  async function heardBy(store: PgStore): Promise<number[]> {
    const heard: number[] = [];
    store.onCommitted((events: readonly CommittedEvent[]) => heard.push(...events.map((e) => e.cursor)));
    return heard;
  }

  async function until(check: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it.skipIf(!redisUrl)('delivers the whole stream to every node in cursor order, over Redis', async () => {
    const [a, b, c] = await nodes(3, { relay: true });
    const heard = await Promise.all([a!, b!, c!].map(heardBy));
    const { alice, conversationId } = await direct(a!);
    await Promise.all(Array.from({ length: 45 }, (_, i) => [a!, b!, c!][i % 3]!.send(input(alice, conversationId))));
    const head = await a!.streamHead();
    await until(() => heard.every((h) => h.at(-1) === head));
    const all = Array.from({ length: head }, (_, i) => i + 1);
    for (const h of heard) expect(h).toEqual(all);
  });

  it('delivers another node\'s commits without Redis, from the position check', async () => {
    const [a, b] = await nodes(2, { checkMs: 50 });
    const heard = await heardBy(b!);
    const { alice, conversationId } = await direct(a!);
    for (let i = 0; i < 5; i++) await a!.send(input(alice, conversationId));
    const head = await a!.streamHead();
    await until(() => heard.at(-1) === head);
    expect(heard).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(b!.feed.filled).toBe(head);
  });
});
