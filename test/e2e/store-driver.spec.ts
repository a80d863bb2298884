/**
 * The wa-sqlite SqlDriver in a real SharedWorker in Chromium: the local schema with FTS5 trigram,
 * rows as objects, rollback, serialized calls, data that outlives the worker (and the browser),
 * storage quota exhaustion, and the in-memory fallback. One suite runs against every VFS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { call, callWorker, openDriverPage, useDriverServer } from './storeDriverHarness';

const server = useDriverServer();

type Opened = { vfs: string; build: string; durability: string };
type Info = { instanceId: string; jspi: boolean };

const ASK = '你好，请问这件商品有现货吗';
const INSERT_MESSAGE =
  "INSERT INTO messages (id, sender_id, conversation_id, seq, content, search_text, state, created_at) VALUES (?, ?, 'c1', ?, ?, ?, 'received', ?)";
const message = (id: string, seq: number, text: string) => [id, 'bob', seq, JSON.stringify({ type: 'text', text }), text, 1_732_000_000_000 + seq];

let dbSeq = 0;
/** A page on its own SharedWorker with a freshly migrated database. */
async function openMigrated(context: import('@playwright/test').BrowserContext, options: Record<string, unknown>): Promise<{ page: Page; db: string; opened: Opened }> {
  const db = `driver-${Date.now()}-${dbSeq++}`;
  const page = await openDriverPage(context, server().url, db);
  const opened = await call<Opened>(page, 'open', { name: db, ...options });
  await call(page, 'migrate', db);
  return { page, db, opened };
}

const KEY = '7c'.repeat(32);

const BACKENDS = [
  { vfs: 'idb-batch-atomic' },
  { vfs: 'idb-batch-atomic', key: KEY, wasmUrl: '/parley/mc-wa-sqlite-jspi.wasm' },
  { vfs: 'idb-batch-atomic', build: 'asyncify' },
  { vfs: 'idb-mirror' },
  { vfs: 'memory', wasmUrl: '/parley/wa-sqlite-jspi.wasm' },
] as const;

for (const backend of BACKENDS) {
  const label = `${backend.vfs}${'build' in backend ? ` (${backend.build})` : ''}${'key' in backend ? ' (encrypted)' : ''}`;

  test.describe(label, () => {
    test('runs the local schema: rows as objects, FTS trigram, integers, blobs, constraint errors', async ({ context }) => {
      const { page, db, opened } = await openMigrated(context, backend);
      expect(opened.vfs).toBe(backend.vfs);
      expect(opened.build).toBe('build' in backend ? backend.build : 'jspi');
      expect(opened.durability).toBe(backend.vfs === 'memory' ? 'memory' : 'best_effort');

      const first = await call<{ changes: number; lastInsertRowid: number }>(page, 'run', db, INSERT_MESSAGE, message('m1', 1, ASK));
      expect(first).toEqual({ changes: 1, lastInsertRowid: 1 });
      await call(page, 'run', db, INSERT_MESSAGE, message('m2', 2, 'the parcel left the warehouse'));

      const rows = await call<Record<string, unknown>[]>(page, 'all', db, 'SELECT id, seq, created_at, error_code, typeof(created_at) AS t FROM messages ORDER BY seq');
      expect(rows).toEqual([
        { id: 'm1', seq: 1, created_at: 1_732_000_000_001, error_code: null, t: 'integer' },
        { id: 'm2', seq: 2, created_at: 1_732_000_000_002, error_code: null, t: 'integer' },
      ]);

      const hits = await call<{ id: string }[]>(
        page, 'all', db,
        'SELECT m.id FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid WHERE messages_fts MATCH ?',
        ['有现货'],
      );
      expect(hits).toEqual([{ id: 'm1' }]);

      // An integer beyond int32 bound into a TEXT column stays an integer's text, not '….0'.
      await call(page, 'run', db, 'INSERT INTO meta (key, value) VALUES (?, ?)', ['ts', 1_732_000_000_000]);
      expect(await call(page, 'all', db, "SELECT value FROM meta WHERE key = 'ts'")).toEqual([{ value: '1732000000000' }]);

      const blob = await call<{ b: Record<string, number> }[]>(page, 'all', db, 'SELECT x\'00ff10\' AS b');
      expect(Object.values(blob[0]!.b)).toEqual([0, 255, 16]);

      const dup = await callWorker(page, 'run', db, INSERT_MESSAGE, message('m1', 3, 'again'));
      expect(dup).toMatchObject({ ok: false, error: { name: 'SqliteError', code: 'SQLITE_CONSTRAINT_UNIQUE' } });
      expect(dup.ok ? '' : dup.error.message).toContain('UNIQUE constraint failed: messages.sender_id, messages.id');

      const wrongArity = await callWorker(page, 'run', db, INSERT_MESSAGE, ['m9']);
      expect(wrongArity).toMatchObject({ ok: false, error: { name: 'RangeError' } });
      await page.close();
    });

    test('a transaction that throws rolls back; the next one commits', async ({ context }) => {
      const { page, db } = await openMigrated(context, backend);
      const failed = await callWorker(page, 'failingTransaction', db, [
        [INSERT_MESSAGE, message('m1', 1, ASK)],
        ["INSERT INTO meta (key, value) VALUES ('cursor', '7')", []],
      ]);
      expect(failed).toMatchObject({ ok: false, error: { message: 'deliberate failure inside the transaction' } });
      expect(await call(page, 'all', db, 'SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM meta) AS meta')).toEqual([
        { messages: 0, meta: 0 },
      ]);
      // Nor did the FTS trigger's insert survive.
      expect(await call(page, 'all', db, 'SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?', ['有现货'])).toEqual([]);

      await call(page, 'transaction', db, [[INSERT_MESSAGE, message('m1', 1, ASK)]]);
      expect(await call(page, 'all', db, 'SELECT id FROM messages')).toEqual([{ id: 'm1' }]);
      await page.close();
    });

    test('calls fired together run one at a time', async ({ context }) => {
      const { page, db } = await openMigrated(context, backend);
      const meta = await call<{ key: string; value: string }[]>(page, 'concurrent', db, 15);
      expect(meta).toHaveLength(7);
      // 'k0' was last upserted by call i = 14 (14 % 7 = 0), then appended '+' by that round's transaction.
      expect(meta[0]).toEqual({ key: 'k0', value: '14+' });
      await page.close();
    });
  });
}

for (const build of ['jspi', 'asyncify'] as const) {
  test.describe(`idb-batch-atomic (${build}): reads`, () => {
    type Counts = Record<string, number>;

    test('a read-only statement takes no read-write IndexedDB transaction', async ({ context }) => {
      const { page, db } = await openMigrated(context, { vfs: 'idb-batch-atomic', build });
      await call(page, 'run', db, "INSERT INTO meta (key, value) VALUES ('k', 'v')");
      const { rows, idb } = await call<{ rows: unknown[]; idb: Counts }>(page, 'readIdbCounts', db);
      expect(rows).toEqual([{ n: 1 }]);
      expect(idb['IndexedDB readwrite transactions']).toBe(0);
      expect(idb['IndexedDB page puts']).toBe(0);
      await page.close();
    });

    test('a read issued while a write transaction is in flight completes before its commit and sees only committed data', async ({ context }) => {
      const { page, db } = await openMigrated(context, { vfs: 'idb-batch-atomic', build });
      const r = await call<{ ready: boolean; order: string[]; seen: string[]; idb: Counts; after: number }>(page, 'readDuringWrite', db, 300, 10_000);
      expect(r.ready).toBe(true);
      expect(r.order).toEqual(['read', 'commit']);
      expect(r.seen).toEqual(['committed']);
      expect(r.idb['IndexedDB readwrite transactions']).toBe(0);
      // The transaction was not disturbed by the read.
      expect(r.after).toBe(301);
      await page.close();
    });
  });
}

test('encrypted: reads during a write go to a reader connection opened with the key; after a rekey a new one opens with the new key', async ({ context }) => {
  const { page, db } = await openMigrated(context, { vfs: 'idb-batch-atomic', key: KEY, wasmUrl: '/parley/mc-wa-sqlite-jspi.wasm' });
  expect(await call(page, 'encrypted', db)).toBe(true);
  const before = await call<{ ready: boolean; order: string[]; seen: string[]; after: number }>(page, 'readDuringWrite', db, 300, 10_000);
  expect(before).toMatchObject({ ready: true, order: ['read', 'commit'], seen: ['committed'], after: 301 });
  await call(page, 'rekey', db, 'e1'.repeat(32));
  await call(page, 'run', db, 'DELETE FROM meta');
  const after = await call<{ ready: boolean; order: string[]; seen: string[]; after: number }>(page, 'readDuringWrite', db, 300, 10_000);
  expect(after).toMatchObject({ ready: true, order: ['read', 'commit'], seen: ['committed'], after: 301 });
  await call(page, 'close', db);
  // Only the new key opens it now.
  const wrong = await callWorker(page, 'open', { name: db, vfs: 'idb-batch-atomic', key: KEY, wasmUrl: '/parley/mc-wa-sqlite-jspi.wasm' });
  expect(wrong).toMatchObject({ ok: false, error: { code: 'KEY_REJECTED' } });
  await call(page, 'open', { name: db, vfs: 'idb-batch-atomic', key: 'e1'.repeat(32), wasmUrl: '/parley/mc-wa-sqlite-jspi.wasm' });
  expect(await call(page, 'all', db, 'SELECT count(*) AS n FROM meta')).toEqual([{ n: 301 }]);
  await page.close();
});

test('data outlives the SharedWorker: a new instance reads what the previous one wrote', async ({ context }) => {
  const db = `reopen-${Date.now()}`;
  const first = await openDriverPage(context, server().url, db);
  const before = await call<Info>(first, 'info');
  await call(first, 'open', { name: db });
  await call(first, 'migrate', db);
  await call(first, 'transaction', db, [
    [INSERT_MESSAGE, message('m1', 1, ASK)],
    ["INSERT INTO meta (key, value) VALUES ('cursor', '42')", []],
  ]);
  // No close: the worker ends with its last page, as in real life.
  for (const p of context.pages()) await p.close();

  const second = await openDriverPage(context, server().url, db);
  const after = await call<Info>(second, 'info');
  expect(after.instanceId).not.toBe(before.instanceId);
  await call(second, 'open', { name: db });
  expect(await call(second, 'all', db, 'SELECT id FROM messages WHERE rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)', ['有现货'])).toEqual([
    { id: 'm1' },
  ]);
  expect(await call(second, 'all', db, 'SELECT value FROM meta')).toEqual([{ value: '42' }]);
  // A new database has 64 KiB pages (one IndexedDB value each), and reopening keeps them.
  expect(await call(second, 'all', db, 'SELECT page_size FROM pragma_page_size()')).toEqual([{ page_size: 65536 }]);
  await second.close();
});

test('a database made with 4 KiB pages (by an older build) reopens with them and takes writes', async ({ context }) => {
  const db = `small-pages-${Date.now()}`;
  const first = await openDriverPage(context, server().url, db);
  await call(first, 'open', { name: db });
  // Still empty: the page size can change, as the older build's default left it.
  await call(first, 'exec', db, 'PRAGMA page_size=4096');
  await call(first, 'migrate', db);
  await call(first, 'transaction', db, [[INSERT_MESSAGE, message('m1', 1, ASK)]]);
  for (const p of context.pages()) await p.close();

  const second = await openDriverPage(context, server().url, db);
  expect(await call(second, 'open', { name: db })).toMatchObject({ vfs: 'idb-batch-atomic' });
  await call(second, 'transaction', db, [[INSERT_MESSAGE, message('m2', 2, ASK)]]);
  expect(await call(second, 'all', db, 'SELECT id FROM messages ORDER BY seq')).toEqual([{ id: 'm1' }, { id: 'm2' }]);
  expect(await call(second, 'all', db, 'SELECT page_size FROM pragma_page_size()')).toEqual([{ page_size: 4096 }]);
  await second.close();
});

test('two workers on one database see each other\'s commits, in reads and in writes', async ({ context }) => {
  const db = `two-${Date.now()}`;
  const a = await openDriverPage(context, server().url, `${db}-a`);
  const b = await openDriverPage(context, server().url, `${db}-b`);
  await call(a, 'open', { name: db });
  await call(a, 'migrate', db);
  await call(b, 'open', { name: db });
  // Each next seq is read inside the writing transaction: a writer with stale pages would reuse one.
  const next = (id: string): [string, unknown[]] => [
    "INSERT INTO messages (id, sender_id, conversation_id, seq, content, state, created_at, server_ts) SELECT ?, 'bob', 'c1', COALESCE(MAX(seq), 0) + 1, '{}', 'received', 1, 1 FROM messages WHERE conversation_id = 'c1'",
    [id],
  ];
  const seqs = (page: Page) => call(page, 'all', db, "SELECT id, seq FROM messages WHERE conversation_id = 'c1' ORDER BY seq");
  const turns: [Page, Page][] = [[a, b], [b, a], [a, b], [a, b], [b, a]];
  for (const [i, [writer, reader]] of turns.entries()) {
    await call(writer, 'transaction', db, [next(`m${i + 1}`)]);
    const expected = Array.from({ length: i + 1 }, (_, k) => ({ id: `m${k + 1}`, seq: k + 1 }));
    expect(await seqs(reader)).toEqual(expected);
    expect(await seqs(writer)).toEqual(expected);
  }
  await a.close();
  await b.close();
});

test('data outlives the browser: a restarted Chromium on the same profile reads it', async ({ playwright, launchOptions }) => {
  test.setTimeout(60_000); // two browser launches
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-profile-'));
  const db = 'restart';
  try {
    let context = await playwright.chromium.launchPersistentContext(profile, launchOptions);
    let page = await openDriverPage(context, server().url, db);
    await call(page, 'open', { name: db });
    await call(page, 'migrate', db);
    await call(page, 'run', db, INSERT_MESSAGE, message('m1', 1, ASK));
    await context.close();

    context = await playwright.chromium.launchPersistentContext(profile, launchOptions);
    page = await openDriverPage(context, server().url, db);
    await call(page, 'open', { name: db });
    expect(await call(page, 'all', db, 'SELECT id, search_text FROM messages')).toEqual([{ id: 'm1', search_text: ASK }]);
    await context.close();
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

for (const vfs of ['idb-batch-atomic', 'idb-mirror']) {
  test(`${vfs}: a commit over the storage quota fails with QuotaExceededError and changes nothing`, async ({ context }) => {
    const db = `quota-${vfs}-${Date.now()}`;
    const page = await openDriverPage(context, server().url, db);
    const cdp = await context.newCDPSession(page);
    // Chromium enforces this on IndexedDB commits (navigator.storage.estimate() still shows the real quota).
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server().url, quotaSize: 2_000_000 });
    try {
      await call(page, 'open', { name: db, vfs });
      await call(page, 'migrate', db);
      const fill = await call<{ committed: number; error: { name: string; code: string } | null }>(page, 'fill', db, 8192, 10, 1000);
      expect(fill.error).toMatchObject({ name: 'QuotaExceededError', code: 'SQLITE_FULL' });
      expect(fill.committed).toBeGreaterThan(0);
      // The failed transaction left nothing behind, and the driver still works.
      expect(await call(page, 'all', db, 'SELECT count(*) AS n FROM blobs')).toEqual([{ n: fill.committed }]);

      await cdp.send('Storage.overrideQuotaForOrigin', { origin: server().url });
      await call(page, 'run', db, "INSERT INTO meta (key, value) VALUES ('after', 'quota')");
      await call(page, 'close', db);
      await call(page, 'open', { name: db, vfs });
      expect(await call(page, 'all', db, 'SELECT count(*) AS n FROM blobs')).toEqual([{ n: fill.committed }]);
      expect(await call(page, 'all', db, 'SELECT value FROM meta')).toEqual([{ value: 'quota' }]);
      expect(await call(page, 'all', db, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: server().url }).catch(() => {});
      await page.close();
    }
  });
}

for (const how of ['missing', 'throws'] as const) {
  test(`IndexedDB ${how === 'missing' ? 'missing' : 'refusing to open'}: an in-memory database, durability 'memory'`, async ({ context }) => {
    const db = `no-idb-${how}-${Date.now()}`;
    const page = await openDriverPage(context, server().url, db);
    await call(page, 'breakIndexedDb', how);
    expect(await call<Opened>(page, 'open', { name: db })).toMatchObject({ vfs: 'memory', durability: 'memory' });
    await call(page, 'migrate', db);
    await call(page, 'run', db, INSERT_MESSAGE, message('m1', 1, ASK));
    expect(await call(page, 'all', db, 'SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?', ['有现货'])).toEqual([{ rowid: 1 }]);
    await page.close();
  });
}

test('an unreachable .wasm rejects open instead of hanging', async ({ context }) => {
  const page = await openDriverPage(context, server().url, `no-wasm-${Date.now()}`);
  const reply = await callWorker(page, 'open', { name: 'no-wasm', wasmUrl: '/parley/missing.wasm' });
  expect(reply.ok).toBe(false);
  // The name is free again after the failure.
  expect(await call<Opened>(page, 'open', { name: 'no-wasm', vfs: 'memory' })).toMatchObject({ vfs: 'memory' });
  await page.close();
});
