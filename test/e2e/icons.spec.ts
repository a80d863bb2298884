/**
 * The kit's icon buttons draw inline SVG, not emoji glyphs (which render as empty boxes where no
 * emoji font is installed): each has an accessible name, no text of its own, and a drawn icon.
 */
import { expect, test } from '@playwright/test';
import { startE2EServer, type E2EServer } from './fixtures';

let srv: E2EServer;
test.beforeEach(async () => {
  srv = await startE2EServer();
});
test.afterEach(async () => {
  await srv.stop();
});

test('the widget and its composer use drawn icons with accessible names, and no glyphs', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${srv.url}/?as=alice`);
  const widget = page.locator('parley-chat-widget');
  await widget.evaluate((el: HTMLElement & { show(): void }) => el.show());
  await expect(page.locator('parley-chat-widget textarea.input')).toBeVisible();

  const buttons = await widget.evaluate((el) => {
    // The widget's own buttons and those of the chat inside it (each in its own shadow root).
    const roots = [el.shadowRoot!, el.shadowRoot!.querySelector('parley-chat')!.shadowRoot!];
    const icons = roots.flatMap((r) => [...r.querySelectorAll<HTMLButtonElement>('button.tool, button.close, button.launcher')]);
    return icons.map((b) => {
      const svg = b.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return { label: b.getAttribute('aria-label') ?? '', text: b.textContent?.trim() ?? '', drawn: !!svg && !!box && box.width > 8 && box.height > 8 && !!svg.querySelector('path, circle, rect') };
    });
  });
  // Launcher, close, emoji, image, voice (the demo turns them all on).
  expect(buttons.length).toBeGreaterThanOrEqual(5);
  for (const b of buttons) {
    expect(b.label, JSON.stringify(b)).not.toBe('');
    expect(b.text, JSON.stringify(b)).toBe('');
    expect(b.drawn, JSON.stringify(b)).toBe(true);
  }
  await context.close();
});
