/**
 * A database made by an earlier build (fixtures/schema6-main-2026-12-05.db: the server of
 * 2026-12-05, schema 6, three conversations and 160 messages, receipts, a device's acked cursor
 * and an uploaded file's record) opens under this build: migrated in place, nothing lost, and
 * what the new schema adds works on the old rows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../server/store/sqlite/migrations';
import { SqliteStore } from '../../server/store/sqlite/SqliteStore';
import { DEMO_USERS } from '../../server/seed';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/schema6-main-2026-12-05.db');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function copyOfFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-migrate-'));
  dirs.push(dir);
  fs.copyFileSync(FIXTURE, path.join(dir, 'parley.db'));
  return dir;
}

/** Everything a user sees of the old database, read with plain SQL (independent of the store's code). */
function snapshot(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      messages: db.prepare('SELECT conversation_id, seq, sender_id, client_id, content, server_ts FROM messages ORDER BY conversation_id, seq').all(),
      conversations: db.prepare('SELECT id, kind, title, last_seq FROM conversations ORDER BY id').all(),
      members: db.prepare('SELECT conversation_id, member_id, kind, delivered_seq, read_seq FROM members ORDER BY conversation_id, member_id').all(),
      events: db.prepare('SELECT pos, conversation_id, kind, seq FROM events ORDER BY pos').all(),
      media: db.prepare('SELECT key, owner_id, bytes FROM media').all(),
      cursors: db.prepare('SELECT user_id, device_id, acked_cursor FROM device_cursors').all(),
      version: db.pragma('user_version', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}

describe('migrating a database made by an earlier build', () => {
  it('moves it to the current schema without losing a message, a receipt, an event or a cursor', async () => {
    // Read from a copy: opening the fixture itself would leave WAL files beside it.
    const dir = copyOfFixture();
    const before = snapshot(path.join(dir, 'parley.db'));
    expect(before.version).toBe(6);
    expect(before.messages).toHaveLength(160);

    const store = new SqliteStore({ dataDir: dir, sync: 'full', now: Date.now });
    const alice = DEMO_USERS.find((u) => u.userId === 'alice')!;
    try {
      // Through the store: every conversation, every message, the device's cursor, the file.
      const page = await store.conversationPage(alice, undefined, 10);
      expect(page.conversations).toHaveLength(2);
      for (const c of page.conversations) {
        const { messages, hasMore } = await store.range(c.id, 0, 200);
        expect(hasMore).toBe(false);
        expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: c.lastSeq }, (_, i) => i + 1));
      }
      expect(await store.messageCount()).toBe(160);
      expect(await store.getDeviceCursor('alice', 'alice-phone')).toBe(50);
      expect((await store.media.get('k1/abc.png'))?.bytes).toBe(1234);
      // What the migration added: the stream's head, and nothing pruned yet.
      expect(await store.streamHead()).toBe(before.events.length);
      expect(await store.prunedAfter(alice, 0)).toBe(false);
      expect((await store.eventsAfter(alice, 0, 500)).events.length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }

    const after = snapshot(path.join(dir, 'parley.db'));
    expect(after.version).toBe(MIGRATIONS.length);
    expect({ ...after, version: 0 }).toEqual({ ...before, version: 0 });
  });

  it('prunes the migrated stream: old events go, their messages stay', async () => {
    const dir = copyOfFixture();
    const events = snapshot(path.join(dir, 'parley.db')).events.length;
    // The fixture's events are from November 2026: a clock in 2027 finds them all past a 30-day horizon.
    const store = new SqliteStore({ dataDir: dir, sync: 'full', now: () => Date.parse('2027-02-01T00:00:00Z') });
    try {
      const { pruned, horizon } = await store.prune(Date.parse('2027-01-01T00:00:00Z'), 10_000);
      expect(pruned).toBe(events);
      expect(horizon).toBe(pruned);
      expect(await store.messageCount()).toBe(160);
      const alice = DEMO_USERS.find((u) => u.userId === 'alice')!;
      expect(await store.prunedAfter(alice, 50)).toBe(true);
      expect(await store.prunedAfter(alice, horizon)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
