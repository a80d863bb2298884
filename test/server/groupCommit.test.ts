/**
 * Server group commit: writes of one event-loop turn share one transaction, each in a savepoint,
 * and each promise settles only once its write is committed (visible to another connection).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../server';
import { GroupCommit } from '../../server/store/sqlite/GroupCommit';
import { SqliteStore } from '../../server/store/sqlite/SqliteStore';

let dir: string;
let db: Database.Database;
let other: Database.Database;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-gc-'));
  db = new Database(path.join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
           CREATE TABLE t (v TEXT NOT NULL UNIQUE, p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`);
  other = new Database(path.join(dir, 'x.db'), { readonly: true });
});
afterEach(() => {
  other.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rows = () => (other.prepare('SELECT v FROM t ORDER BY rowid').pluck().all() as string[]);
const insert = (v: string, p: number | null = null) => () => db.prepare('INSERT INTO t (v, p) VALUES (?, ?)').run(v, p).changes;

describe('GroupCommit', () => {
  it('commits the writes of one turn together, and settles each only after the commit', async () => {
    const gc = new GroupCommit(db);
    const seenAtResolve: string[][] = [];
    const writes = ['a', 'b', 'c'].map((v) => gc.run(insert(v)).then(() => seenAtResolve.push(rows())));
    expect(rows()).toEqual([]); // queued, not yet run
    await Promise.all(writes);
    expect(gc.commits).toBe(1);
    expect(gc.writes).toBe(3);
    // Another connection already saw every row when the first promise settled.
    expect(seenAtResolve[0]).toEqual(['a', 'b', 'c']);
  });

  it('rolls back a write that throws alone; the others of its group commit', async () => {
    const gc = new GroupCommit(db);
    const results = await Promise.allSettled([gc.run(insert('a')), gc.run(insert('a')), gc.run(insert('b'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual(['a', 'b']);
  });

  it('rejects the whole group when the commit itself fails, storing none of it', async () => {
    const gc = new GroupCommit(db);
    // A deferred foreign key is only checked at COMMIT: the write succeeds, the commit fails.
    const results = await Promise.allSettled([gc.run(insert('a')), gc.run(insert('dangling', 42))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(rows()).toEqual([]);
    expect(gc.commits).toBe(0);
    // The next group is unaffected.
    await gc.run(insert('later'));
    expect(rows()).toEqual(['later']);
  });

  it('a flush commits what is queued at once (as close does)', async () => {
    const gc = new GroupCommit(db);
    const w = gc.run(insert('x'));
    gc.flush();
    expect(rows()).toEqual(['x']);
    await w;
  });
});

describe('SqliteStore', () => {
  it('makes acknowledged mean durable by default: synchronous=FULL', async () => {
    const store = new SqliteStore({ dataDir: dir, sync: defaultConfig().sqliteSync, now: Date.now });
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    await store.close();
  });
});

describe('SqliteStore commit events', () => {
  it("hands each commit's events to its listeners in cursor order, before any of its writes settles", async () => {
    const store = new SqliteStore({ dataDir: dir, sync: 'full', now: Date.now });
    const agent = { userId: 'agent', role: 'merchant' as const, shopId: 'shop', displayName: 'Agent' };
    const customer = { userId: 'cust', role: 'customer' as const, shopId: null, displayName: 'Cust' };
    await Promise.all([store.upsertUser(agent), store.upsertUser(customer)]);
    const opened = (await store.openDirect(customer, 'shop'))!;
    const heard: { cursors: number[]; settledBefore: number }[] = [];
    let settled = 0;
    store.onCommitted((events) => heard.push({ cursors: events.map((e) => e.cursor), settledBefore: settled }));
    // An agent's send (a message and the shop's read receipt) and the customer's read receipt, in one group.
    const writes = [
      store.send({ sender: agent, conversationId: opened.conversation.id, clientId: crypto.randomUUID(), content: { type: 'text', text: 'hi' } }),
      store.receipt('cust', opened.conversation.id, 'read', 1),
    ].map((w) => w.then(() => settled++));
    await Promise.all(writes);
    expect(heard).toHaveLength(1);
    expect(heard[0]!.settledBefore).toBe(0);
    expect(heard[0]!.cursors).toHaveLength(3);
    expect(heard[0]!.cursors).toEqual([...heard[0]!.cursors].sort((a, b) => a - b));
    // A write that changes nothing commits no event, and nobody is called.
    await store.receipt('cust', opened.conversation.id, 'read', 1);
    expect(heard).toHaveLength(1);
    await store.close();
  });
});
