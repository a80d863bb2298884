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
