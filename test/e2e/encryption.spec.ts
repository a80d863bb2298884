/**
 * Encryption at rest in real Chromium: with a key given at connect, nothing this origin stores
 * (every IndexedDB database, record by record, localStorage, Cache Storage) holds a message's text;
 * a wrong key is a clear KEY_REJECTED that leaves the database as it was; a rotation keeps every
 * message and retires the old key; a lost key reports the unsent messages before a rebuild from
 * the server drops them; a database from before encryption was turned on is encrypted in place.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { TcpProxy } from '../support/tcpProxy';
import { closeSharedWorker, openTab, openWidgetChat, startE2EServer, waitForStatus, type E2EServer, type HarnessEvent } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

const K1 = '1f'.repeat(32);
const K2 = '2e'.repeat(32);
const K3 = '3d'.repeat(32);

type Msg = { id: string; state: string; content: { text?: string } };
type W = {
  client: {
    state: { status: string };
    encrypted: boolean;
    localRebuilt: { unsent: number | null } | null;
    request(type: string, params: unknown): Promise<{ conversation: { id: string } }>;
    send(cid: string, content: unknown): Promise<Msg>;
    search(q: string): Promise<Msg[]>;
    changeKey(key: string): Promise<void>;
    unsentCount(): Promise<number>;
  };
  watch(cid: string): void;
  latest: Record<string, Msg[]>;
  events: HarnessEvent[];
  parleyKey: string | null;
  connectError: { code: string; message: string; details?: { unsent?: number | null } } | null;
};

const PATIENT = { backoff: 100, maxBackoff: 500, attempts: 1000 };

async function open(context: BrowserContext, query: Record<string, string | number> = {}): Promise<Page> {
  return openTab(context, srv.url, { ...PATIENT, ...query });
}

function connectError(page: Page) {
  return page.evaluate(() => (window as unknown as W).connectError);
}

async function conversation(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const { conversation } = await (window as unknown as W).client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    (window as unknown as W).watch(conversation.id);
    return conversation.id;
  });
}

function send(page: Page, cid: string, text: string): Promise<Msg> {
  return page.evaluate(({ cid, text }) => (window as unknown as W).client.send(cid, { type: 'text', text }), { cid, text });
}

async function texts(page: Page, cid: string, atLeast: number): Promise<string[]> {
  await page.evaluate((cid) => (window as unknown as W).watch(cid), cid);
  await page.waitForFunction(({ cid, n }) => ((window as unknown as W).latest[cid]?.length ?? 0) >= n, { cid, n: atLeast }, { timeout: 15_000 });
  return page.evaluate((cid) => (window as unknown as W).latest[cid]!.map((m) => m.content.text ?? ''), cid);
}

async function waitSent(page: Page, cid: string, n: number): Promise<void> {
  await page.waitForFunction(
    ({ cid, n }) => ((window as unknown as W).latest[cid] ?? []).filter((m) => m.state !== 'pending').length >= n,
    { cid, n },
    { timeout: 15_000 },
  );
}

/** A tab of `query.as` (alice) online, whose conversation with the shop holds `said`, all sent. */
async function chatWith(profile: BrowserContext, said: string[], query: Record<string, string | number> = { key: K1 }): Promise<{ tab: Page; cid: string }> {
  const tab = await open(profile, query);
  await waitForStatus(tab, 'online');
  const cid = await conversation(tab);
  for (const text of said) await send(tab, cid, text);
  await waitSent(tab, cid, said.length);
  return { tab, cid };
}

/**
 * Where `needle` occurs in what this origin keeps: every record of every IndexedDB database (bytes
 * of buffers, blobs and strings, walked through objects), localStorage and Cache Storage bodies.
 */
function storedHits(page: Page, needle: string): Promise<string[]> {
  return page.evaluate(async (needle) => {
    const want = new TextEncoder().encode(needle);
    const has = (b: Uint8Array) => {
      outer: for (let i = 0; i + want.length <= b.length; i++) {
        for (let j = 0; j < want.length; j++) if (b[i + j] !== want[j]) continue outer;
        return true;
      }
      return false;
    };
    const hits: string[] = [];
    const walk = async (v: unknown, where: string, depth = 0): Promise<void> => {
      if (depth > 6 || v === null || v === undefined) return;
      if (typeof v === 'string') {
        if (has(new TextEncoder().encode(v))) hits.push(where);
      } else if (v instanceof ArrayBuffer) {
        if (has(new Uint8Array(v))) hits.push(where);
      } else if (ArrayBuffer.isView(v)) {
        if (has(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))) hits.push(where);
      } else if (v instanceof Blob) {
        if (has(new Uint8Array(await v.arrayBuffer()))) hits.push(where);
      } else if (typeof v === 'object') {
        for (const [k, x] of Object.entries(v as object)) await walk(x, `${where}.${k}`, depth + 1);
      }
    };
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const values = await new Promise<unknown[]>((resolve, reject) => {
          const r = db.transaction(store, 'readonly').objectStore(store).getAll();
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        for (const [i, v] of values.entries()) await walk(v, `idb:${info.name}/${store}[${i}]`);
      }
      db.close();
    }
    for (let i = 0; i < localStorage.length; i++) await walk(localStorage.getItem(localStorage.key(i)!), `localStorage:${localStorage.key(i)}`);
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) await walk(await (await cache.match(req))!.blob(), `cache:${name}:${req.url}`);
    }
    return hits;
  }, needle);
}

test('with a key, nothing this origin stores holds the text, and everything still works (search included)', async ({ browser }) => {
  const profile = await browser.newContext();
  const { tab, cid } = await chatWith(profile, Array.from({ length: 5 }, (_, i) => `my card is 4242 4242 ${i} 号码`));
  expect(await tab.evaluate(() => (window as unknown as W).client.encrypted)).toBe(true);
  expect(await tab.evaluate(() => (window as unknown as W).client.search('4242').then((h) => h.length))).toBe(5);
  // A second tab joins the same engine with the same key.
  const second = await open(profile, { key: K1 });
  expect(await texts(second, cid, 5)).toHaveLength(5);
  // Nothing readable anywhere: the database's pages, the snapshot store, drafts, caches.
  expect(await storedHits(tab, '4242 4242')).toEqual([]);
  expect(await storedHits(tab, '号码')).toEqual([]);
  const databases = await tab.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  expect(databases).toContain('parley-alice');

  // The same steps without a key leave the text readable: the check above can fail.
  const { tab: bob } = await chatWith(profile, ['bob writes 9999 8888 in plain'], { as: 'bob' });
  expect((await storedHits(bob, '9999 8888')).some((w) => w.startsWith('idb:parley-bob/'))).toBe(true);
  // A plain database has no key to change.
  const refused = await bob.evaluate((k) => (window as unknown as W).client.changeKey(k).then(() => null, (e: { code: string }) => e.code), K2);
  expect(refused).toBe('INVALID_PARAMS');
  await profile.close();
});

test('a wiping sign-out of an encrypted user leaves nothing of them: database, unsent tally', async ({ browser }) => {
  const profile = await browser.newContext();
  const { tab } = await chatWith(profile, ['goodbye']);
  const tallied = () =>
    tab.evaluate(
      () =>
        new Promise<unknown>((resolve, reject) => {
          const r = indexedDB.open('parley-unsent');
          r.onerror = () => reject(r.error);
          r.onsuccess = () => {
            const db = r.result;
            if (!db.objectStoreNames.contains('count')) return resolve(undefined);
            const get = db.transaction('count').objectStore('count').get('alice');
            get.onsuccess = () => (db.close(), resolve(get.result));
          };
        }),
    );
  await expect.poll(tallied).toBe(0);
  await tab.evaluate(() => (window as unknown as { client: { signOut(o: object): Promise<unknown> } }).client.signOut({ wipe: true }));
  expect(await tab.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).not.toContain('parley-alice');
  expect(await tallied()).toBeUndefined();
  await profile.close();
});

test('a wrong key is refused with KEY_REJECTED and changes nothing; the right key opens everything again', async ({ browser }) => {
  const profile = await browser.newContext();
  const { tab, cid } = await chatWith(profile, ['kept 0', 'kept 1', 'kept 2']);
  await tab.close(); // the last tab: the engine and its key go with it

  const wrong = await open(profile, { key: K2 });
  const error = await connectError(wrong);
  expect(error?.code).toBe('KEY_REJECTED');
  expect(error?.details?.unsent).toBe(0);
  // A tab that joins the running engine with another key is refused too.
  const right = await open(profile, { key: K1 });
  expect(await connectError(right)).toBeNull();
  const stranger = await open(profile, { key: K3 });
  expect((await connectError(stranger))?.code).toBe('KEY_REJECTED');
  expect(await texts(right, cid, 3)).toEqual(['kept 0', 'kept 1', 'kept 2']);
  await profile.close();
});

test('a rotation re-encrypts without losing anything: the new key opens it, the old one no longer does', async ({ browser }) => {
  const profile = await browser.newContext();
  const { tab, cid } = await chatWith(profile, Array.from({ length: 20 }, (_, i) => `before rotation ${i}`));
  await tab.evaluate((k) => (window as unknown as W).client.changeKey(k), K2);
  // The tab goes on: reads and writes with the new key.
  await send(tab, cid, 'after rotation');
  await waitSent(tab, cid, 21);
  expect(await tab.evaluate(() => (window as unknown as W).client.search('rotation').then((h) => h.length))).toBe(21);
  expect((await connectError(await open(profile, { key: K1 })))?.code).toBe('KEY_REJECTED');
  expect(await storedHits(tab, 'before rotation')).toEqual([]);
  await profile.close();
});

test('rotation survives the engine restarting: a fresh engine opens with the new key and holds every message', async ({ browser }) => {
  const profile = await browser.newContext();
  const { tab, cid } = await chatWith(profile, Array.from({ length: 10 }, (_, i) => `m${i}`));
  await tab.evaluate((k) => (window as unknown as W).client.changeKey(k), K2);
  await tab.close();

  const withOld = await open(profile, { key: K1 });
  expect((await connectError(withOld))?.code).toBe('KEY_REJECTED');
  await withOld.close();
  const withNew = await open(profile, { key: K2 });
  expect(await connectError(withNew)).toBeNull();
  expect(await texts(withNew, cid, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  await profile.close();
});

test('after a rotation, a tab whose key did not follow gets state key_rejected when the engine restarts; one whose key did carries on', async ({ browser }) => {
  const profile = await browser.newContext();
  const stale = await open(profile, { key: K1 });
  const { tab: current, cid } = await chatWith(profile, ['before']);
  await current.evaluate(async (k) => {
    await (window as unknown as W).client.changeKey(k);
    (window as unknown as W).parleyKey = k; // what the app's backend hands out from now on
  }, K2);
  await closeSharedWorker(browser, current);
  await expect.poll(() => stale.evaluate(() => (window as unknown as W).client.state.status), { timeout: 15_000 }).toBe('key_rejected');
  await waitForStatus(current, 'online', 15_000);
  expect(await texts(current, cid, 1)).toEqual(['before']);
  await profile.close();
});

test('without SharedWorker (leader election): a wrong key rejects connect, the right one serves leader and follower', async ({ browser }) => {
  const profile = await browser.newContext();
  await profile.addInitScript(() => delete (window as { SharedWorker?: unknown }).SharedWorker);
  const { tab: leader, cid } = await chatWith(profile, ['from the leader']);
  const follower = await open(profile, { key: K1 });
  expect(await follower.evaluate(() => (window as unknown as W & { client: { transport: string } }).client.transport)).toBe('follower');
  expect(await texts(follower, cid, 1)).toEqual(['from the leader']);
  await leader.close();
  await follower.close();
  // No tab leads now: the next tab starts the engine, and its key does not open the database.
  const wrong = await open(profile, { key: K2 });
  expect((await connectError(wrong))?.code).toBe('KEY_REJECTED');
  await wrong.close();
  const right = await open(profile, { key: K1 });
  expect(await connectError(right)).toBeNull();
  expect(await texts(right, cid, 1)).toEqual(['from the leader']);
  expect(await storedHits(right, 'from the leader')).toEqual([]);
  await profile.close();
});

test('a lost key: unsent messages are reported first, and a rebuild starts a new copy the server fills again', async ({ browser }) => {
  const proxy = new TcpProxy(srv.port);
  await proxy.start();
  srv.server.config.allowedOrigins = [srv.url];
  const ws = `ws://127.0.0.1:${proxy.port}/ws`;
  const profile = await browser.newContext();
  const { tab, cid } = await chatWith(profile, ['on the server 0', 'on the server 1', 'on the server 2'], { key: K1, ws });
  proxy.setMode('refuse');
  proxy.cutAll();
  await tab.waitForFunction(() => (window as unknown as W).client.state.status !== 'online');
  await send(tab, cid, 'never sent 1');
  await send(tab, cid, 'never sent 2');
  expect(await tab.evaluate(() => (window as unknown as W).client.unsentCount())).toBe(2);
  await tab.close();

  // The key is lost: the backend hands out a new one. The app learns what a rebuild would drop.
  const asked = await open(profile, { key: K3, ws });
  const error = await connectError(asked);
  expect(error?.code).toBe('KEY_REJECTED');
  expect(error?.details?.unsent).toBe(2);
  await asked.close();

  proxy.setMode('forward');
  const rebuilt = await open(profile, { key: K3, ws, onKeyRejected: 'rebuild' });
  expect(await connectError(rebuilt)).toBeNull();
  expect(await rebuilt.evaluate(() => (window as unknown as W).client.localRebuilt)).toEqual({ unsent: 2 });
  await waitForStatus(rebuilt, 'online');
  expect(await texts(rebuilt, cid, 3)).toEqual(['on the server 0', 'on the server 1', 'on the server 2']);
  // The new copy is encrypted with the new key, and holds no text in the clear.
  expect(await storedHits(rebuilt, 'on the server')).toEqual([]);
  await profile.close();
  await proxy.close();
});

test('a database written before encryption was turned on is encrypted in place, nothing lost, and drafts kept before go', async ({ browser }) => {
  const profile = await browser.newContext();
  const plain = await profile.newPage();
  await plain.goto(`${srv.url}/?as=alice`);
  await openWidgetChat(plain);
  const said = ['written in plain 0', 'written in plain 1', 'written in plain 2'];
  for (const text of said) {
    await plain.locator('parley-chat-widget textarea.input').fill(text);
    await plain.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
  }
  await expect(plain.locator('parley-chat-widget li.message')).toContainText(said);
  await plain.locator('parley-chat-widget textarea.input').fill('a plain draft');
  expect((await storedHits(plain, 'written in plain')).length).toBeGreaterThan(0);
  expect(await storedHits(plain, 'a plain draft')).toEqual([expect.stringMatching(/^localStorage:parley\.draft:alice:/)]);
  await plain.close();

  const encrypted = await profile.newPage();
  await encrypted.goto(`${srv.url}/?as=alice&encrypt=1`);
  await openWidgetChat(encrypted);
  await expect(encrypted.locator('parley-chat-widget li.message')).toContainText(said);
  expect(await encrypted.evaluate(() => (window as unknown as { parley: { encrypted: boolean } }).parley.encrypted)).toBe(true);
  expect(await storedHits(encrypted, 'written in plain')).toEqual([]);
  expect(await storedHits(encrypted, 'a plain draft')).toEqual([]);
  await profile.close();
});

test('the storefront demo with ?encrypt=1: the key from the backend, the chat works, and the text is not on disk', async ({ browser }) => {
  const profile = await browser.newContext();
  const page = await profile.newPage();
  await page.goto(`${srv.url}/?as=alice&encrypt=1`);
  await openWidgetChat(page);
  await page.locator('parley-chat-widget textarea.input').fill('deliver to 221B Baker Street');
  await page.locator('parley-chat-widget').getByRole('button', { name: 'Send', exact: true }).click();
  await expect(page.locator('parley-chat-widget li.message')).toContainText(['deliver to 221B Baker Street']);
  expect(await page.evaluate(() => (window as unknown as { parley: { encrypted: boolean } }).parley.encrypted)).toBe(true);
  await expect(page.locator('#status')).toContainText('(encrypted)');
  // A draft stays in the tab's memory: not in localStorage (a plain user's would be).
  await page.locator('parley-chat-widget textarea.input').fill('a draft about the gift note');
  await expect(page.locator('parley-chat-widget textarea.input')).toHaveValue('a draft about the gift note');
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('parley.draft:')))).toEqual([]);
  expect(await storedHits(page, 'Baker Street')).toEqual([]);
  expect(await storedHits(page, 'gift note')).toEqual([]);
  await profile.close();
});
