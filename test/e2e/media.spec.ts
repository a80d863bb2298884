/**
 * Image and voice messages in real Chromium: pictures prepared in the client's image worker and
 * uploaded by the engine in the SharedWorker with progress; thumbnails at their final size, the full
 * image on click, both cached by the service worker; voice recorded from Chromium's fake microphone,
 * played one at a time; an image sent offline survives a reload and goes up once.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

type W = Window & { parley: any; __uploads: any[] };

async function openPage(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${srv.url}${path}`);
  await page.waitForFunction(() => (window as unknown as W).parley?.state.status === 'online', undefined, { timeout: 15_000 });
  await page.evaluate(() => {
    const w = window as unknown as W;
    w.__uploads = [];
    w.parley.on('upload', (e: unknown) => w.__uploads.push(e));
  });
  return page;
}

/** A PNG drawn in the page: a gradient, so it does not compress to nothing. */
async function pngOf(page: Page, width: number, height: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ([w, h]) => {
      const canvas = new OffscreenCanvas(w!, h!);
      const ctx = canvas.getContext('2d')!;
      const g = ctx.createLinearGradient(0, 0, w!, h!);
      g.addColorStop(0, '#c33');
      g.addColorStop(1, '#33c');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, w!, h!);
      for (let i = 0; i < 400; i++) {
        ctx.fillStyle = `hsl(${i * 7}, 70%, 50%)`;
        ctx.fillRect((i * 37) % w!, (i * 91) % h!, 40, 40);
      }
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
      let s = '';
      for (const b of bytes) s += String.fromCharCode(b);
      return btoa(s);
    },
    [width, height],
  );
  return Buffer.from(b64, 'base64');
}

test('the client prepares and uploads an image from the SharedWorker, with progress', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openPage(context, '/?as=alice');
  const png = await pngOf(page, 2400, 1200);
  const sent = await page.evaluate(async (b64) => {
    const w = window as unknown as W;
    const { conversation } = await w.parley.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const m = await w.parley.sendImage(conversation.id, new Blob([bytes], { type: 'image/png' }));
    return { id: m.id, conversationId: conversation.id, content: m.content };
  }, png.toString('base64'));
  expect(sent.content).toMatchObject({ type: 'image', width: 1600, height: 800, mime: 'image/jpeg' });
  expect(sent.content.url).toMatch(/^local:/);
  await expect.poll(() => page.evaluate(() => (window as unknown as W).__uploads.some((e) => e.done)), { timeout: 15_000 }).toBe(true);
  const uploads = await page.evaluate(() => (window as unknown as W).__uploads);
  expect(uploads[0]).toMatchObject({ messageId: sent.id, loaded: 0, done: false });
  const { messages } = await srv.server.store.history(sent.conversationId, undefined, 10);
  expect(messages).toHaveLength(1);
  const c = messages[0]!.content as { url: string; thumbUrl: string };
  const url = await page.evaluate((p) => (window as unknown as W).parley.mediaUrl(p), c.thumbUrl);
  expect(url).toMatch(/\/media\/[0-9a-f]{32}\?exp=\d+&sig=/);
  const dims = await page.evaluate(async (u) => {
    const bitmap = await createImageBitmap(await (await fetch(u)).blob());
    return [bitmap.width, bitmap.height];
  }, url);
  expect(dims).toEqual([320, 160]);
  await context.close();
});

/** Open the shop widget and wait for its composer. */
async function openWidget(page: Page): Promise<void> {
  await page.locator('parley-chat-widget').evaluate((el: any) => el.show());
  await expect(page.locator('parley-chat-widget textarea.input')).toBeVisible();
}

async function widgetConversation(page: Page): Promise<string> {
  await expect.poll(() => page.locator('parley-chat-widget').evaluate((el: any) => el.conversationId ?? null)).not.toBeNull();
  return page.locator('parley-chat-widget').evaluate((el: any) => el.conversationId as string);
}

test('an image sent from the widget shows at the shop at its final size, opens full size, and stays cached offline', async ({ browser }) => {
  const customer = await browser.newContext();
  const shop = await openPage(customer, '/?as=alice');
  await openWidget(shop);
  const png = await pngOf(shop, 2400, 1600);
  await shop.locator('parley-chat-widget [part~="image-input"]').setInputFiles({ name: 'mug.png', mimeType: 'image/png', buffer: png });
  const mine = shop.locator('parley-chat-widget li.message');
  await expect(mine).toHaveCount(1);
  await expect(mine.first()).toHaveAttribute('data-state', /sent|delivered|read/, { timeout: 15_000 });
  const uploads = await shop.evaluate(() => (window as unknown as W).__uploads);
  expect(uploads.length).toBeGreaterThanOrEqual(2);
  expect(uploads[0]).toMatchObject({ loaded: 0, done: false });
  expect(uploads.at(-1)).toMatchObject({ done: true });
  expect(uploads.at(-1).loaded).toBe(uploads.at(-1).total);

  const staff = await browser.newContext();
  const console_ = await openPage(staff, '/merchant?as=shop-agent');
  await console_.locator('parley-conversation-list button.item').first().click();
  const chat = console_.locator('parley-chat');
  const frame = chat.locator('[part~="image-frame"]');
  await expect(frame).toBeVisible();
  // The box has its final size (3:2, fitted into 240 px) whether or not the picture has loaded yet.
  const box = await frame.locator('[part~="image-open"]').boundingBox();
  expect(box!.width).toBeCloseTo(240, 0);
  expect(box!.height).toBeCloseTo(160, 0);
  const thumb = chat.locator('img[part~="image"]');
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
  const after = await frame.locator('[part~="image-open"]').boundingBox();
  expect([after!.width, after!.height]).toEqual([box!.width, box!.height]); // no layout jump
  expect(await thumb.getAttribute('src')).toMatch(/\/media\/[0-9a-f]{32}\?exp=/);

  await frame.locator('[part~="image-open"]').click();
  const full = chat.locator('dialog[part~="lightbox"][open] [part~="lightbox-image"]');
  await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1600);
  await console_.keyboard.press('Escape');
  await expect(chat.locator('dialog[part~="lightbox"][open]')).toHaveCount(0);

  // Offline: the console reloads from its service worker and the picture comes from its cache.
  await console_.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
  await srv.down();
  await console_.reload();
  await console_.waitForFunction(() => (window as unknown as W).parley !== undefined, undefined, { timeout: 15_000 });
  await console_.locator('parley-conversation-list button.item').first().click();
  await expect.poll(() => console_.locator('parley-chat img[part~="image"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 15_000 }).toBe(320);
  await customer.close();
  await staff.close();
});

test("the demo's service worker caches a picture a plain page shows, and none an encrypted page (?encrypt=1) shows", async ({ browser }) => {
  /** Sends a picture from the widget, reloads (the picture now comes from /media/ through the service worker) and says whether it was cached. */
  const cachedAfterShowing = async (path: string): Promise<boolean> => {
    const context = await browser.newContext();
    const page = await openPage(context, path);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
    await openWidget(page);
    await page.locator('parley-chat-widget [part~="image-input"]').setInputFiles({ name: 'card.png', mimeType: 'image/png', buffer: await pngOf(page, 800, 600) });
    const mine = page.locator('parley-chat-widget li.message');
    await expect(mine.first()).toHaveAttribute('data-state', /sent|delivered|read/, { timeout: 15_000 });
    await page.reload();
    await page.waitForFunction(() => (window as unknown as W).parley?.state.status === 'online', undefined, { timeout: 15_000 });
    await openWidget(page);
    const img = page.locator('parley-chat-widget img[part~="image"]').first();
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 15_000 }).toBe(320);
    const path_ = new URL((await img.getAttribute('src'))!, srv.url).pathname;
    expect(path_).toMatch(/^\/media\/[0-9a-f]{32}$/);
    const cached = await page.evaluate(async (p) => (await (await caches.open('parley-media-demo')).keys()).some((r) => new URL(r.url).pathname === p), path_);
    await context.close();
    return cached;
  };
  expect(await cachedAfterShowing('/?as=bob')).toBe(true);
  expect(await cachedAfterShowing('/?as=alice&encrypt=1')).toBe(false);
});

test('a voice message is recorded, sent and played; starting a second pauses the first, and page media too', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openPage(context, '/?as=alice');
  await openWidget(page);
  const widget = page.locator('parley-chat-widget');
  for (let i = 0; i < 2; i++) {
    await widget.locator('[part~="voice-button"]').click();
    await expect(widget.locator('[part~="voice-recorder"][data-status="recording"]')).toBeVisible();
    // The first one long enough to watch its progress move while it plays.
    await expect(widget.locator('[part~="voice-timer"]')).toHaveText(i === 0 ? /00:0[3-9]/ : /00:0[1-9]/, { timeout: 8_000 });
    await widget.locator('[part~="voice-send"]').click();
    await expect(widget.locator('li.message')).toHaveCount(i + 1);
  }
  await expect(widget.locator('li.message[data-state="pending"]')).toHaveCount(0, { timeout: 15_000 });
  const cid = await widgetConversation(page);
  const { messages } = await srv.server.store.history(cid, undefined, 10);
  expect(messages).toHaveLength(2);
  for (const m of messages) {
    expect(m.content).toMatchObject({ type: 'voice', mime: 'audio/webm' });
    expect((m.content as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(1000);
  }

  // Page media playing: the host's own <audio>, looping the first voice message.
  await page.evaluate(async (path) => {
    const audio = document.createElement('audio');
    audio.id = 'host-audio';
    audio.loop = true;
    audio.src = await (window as unknown as W).parley.mediaUrl(path);
    document.body.append(audio);
    await audio.play();
  }, (messages[0]!.content as { url: string }).url);
  const players = widget.locator('parley-voice-player');
  await expect(players).toHaveCount(2);
  await players.nth(0).locator('[part~="voice-play"]').click();
  await expect(players.nth(0)).toHaveAttribute('data-playing', '');
  expect(await page.evaluate(() => (document.getElementById('host-audio') as HTMLAudioElement).paused)).toBe(true);
  await expect.poll(() => players.nth(0).locator('[part~="voice-progress"]').getAttribute('aria-valuenow'), { intervals: [100] }).toBe('1');
  await players.nth(1).locator('[part~="voice-play"]').click();
  await expect(players.nth(1)).toHaveAttribute('data-playing', '');
  await expect(players.nth(0)).not.toHaveAttribute('data-playing', '');
  await context.close();
});

test('an image sent with the server down survives a reload and goes up once, as one message', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await openPage(context, '/?as=alice');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
  await openWidget(page);
  const cid = await widgetConversation(page);
  const png = await pngOf(page, 800, 600);
  await srv.down();
  await page.locator('parley-chat-widget [part~="image-input"]').setInputFiles({ name: 'a.png', mimeType: 'image/png', buffer: png });
  const pending = page.locator('parley-chat-widget li.message[data-state="pending"]');
  await expect(pending).toHaveCount(1);
  // Shown at once from the bytes stored locally.
  await expect.poll(() => pending.locator('img[part~="image"]').evaluate((img: HTMLImageElement) => img.src.startsWith('blob:') && img.naturalWidth)).toBe(320);

  await page.reload();
  await page.waitForFunction(() => (window as unknown as W).parley !== undefined, undefined, { timeout: 15_000 });
  await openWidget(page);
  await expect(page.locator('parley-chat-widget li.message[data-state="pending"]')).toHaveCount(1);
  await srv.up();
  await expect(page.locator('parley-chat-widget li.message[data-state="pending"]')).toHaveCount(0, { timeout: 20_000 });
  const { messages } = await srv.server.store.history(cid, undefined, 10);
  expect(messages).toHaveLength(1);
  expect(messages[0]!.content).toMatchObject({ type: 'image', width: 800, height: 600 });
  expect(await srv.metric('parley_media_uploads_total', 'result="stored"')).toBe(2);
  expect(await srv.metric('parley_media_uploads_total', 'result="repeat"')).toBeNaN();
  await context.close();
});
