/**
 * A real server for browser tests, in the test process: the built bundles at /parley/, the
 * harness page at /harness/, test hooks on. `restart()` brings it back on the same port and data.
 */
import path from 'node:path';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { ServerConfig } from '../../server';
import { appFiles } from '../../server/http/appFiles';
import { staticFiles } from '../../server/http/static';
import { startRestartableServer, type RestartableServer } from '../support/restartableServer';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const E2E_SECRET = 'e2e-secret-0123456789abcdef0123456789';

/** A real server for a browser test: see RestartableServer. */
export type E2EServer = RestartableServer;

export async function startE2EServer(overrides: Partial<ServerConfig> = {}): Promise<E2EServer> {
  // What `npm start` serves (bundles under /parley/, the demo and its service worker), plus test pages.
  const app = appFiles(path.join(ROOT, 'dist'));
  const harness = staticFiles('/harness/', path.join(ROOT, 'test/e2e/harness'));
  // Test-only bundles (store-driver-worker.js), built by the specs that use them.
  const testBundles = staticFiles('/parley-test/', path.join(ROOT, 'dist/parley-test'));
  return startRestartableServer(
    // Dev mode: the pages take demo identities from /dev/token, as under `npm start`.
    { secret: E2E_SECRET, testHooks: true, devTokens: true, seedDemo: true, sessionPolicy: 'single', log: () => {}, ...overrides },
    (req, res) => app(req, res) || harness(req, res) || testBundles(req, res),
    'parley-e2e-',
  );
}

/** Open the harness as `user` and wait until its client exists. */
export async function openTab(context: BrowserContext, baseUrl: string, query: Record<string, string | number> = {}): Promise<Page> {
  const page = await context.newPage();
  const qs = new URLSearchParams(Object.entries({ as: 'alice', ...query }).map(([k, v]) => [k, String(v)]));
  await page.goto(`${baseUrl}/harness/?${qs}`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return page;
}

/** Wait until the tab's connection is in this status. */
export async function waitForStatus(page: Page, status: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction((s) => (window as unknown as { client: { state: { status: string } } }).client.state.status === s, status, { timeout });
}

/** The tab's state snapshot. */
export function stateOf(page: Page): Promise<{ status: string; [k: string]: unknown }> {
  return page.evaluate(() => (window as unknown as { client: { state: { status: string } } }).client.state);
}

/** An event as the harness records it on window.events (the client's event plus when it came). */
export type HarnessEvent = { at: number; type: string; [key: string]: unknown };

/**
 * How many events the tab has recorded so far: take one before an action, then read what followed
 * it by position, so the order of events decides and no clock is compared.
 */
export function eventMark(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { events: HarnessEvent[] }).events.length);
}

/** The events the tab recorded after `mark`, in order. */
export function eventsSince(page: Page, mark: number): Promise<HarnessEvent[]> {
  return page.evaluate((m) => (window as unknown as { events: HarnessEvent[] }).events.slice(m), mark);
}

/** Wait until the tab records an event of `type` after `mark`. */
export async function waitForEventSince(page: Page, mark: number, type: string): Promise<void> {
  await page.waitForFunction(
    ([m, t]) => (window as unknown as { events: HarnessEvent[] }).events.slice(m as number).some((e) => e.type === t),
    [mark, type] as const,
  );
}

/**
 * Open the storefront's chat widget on `page` (already at the storefront) and resolve with the
 * shopper's conversation with the shop, once the widget has it (the client may still be connecting).
 */
export function openWidgetChat(page: Page): Promise<string> {
  return page.locator('parley-chat-widget').evaluate(async (el: HTMLElement & { show(): Promise<string | null> }) => {
    for (;;) {
      const id = await el.show();
      if (id) return id;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/** A new tab of `context` on the storefront as `user`, with the chat open: the tab and the conversation. */
export async function openShopTab(context: BrowserContext, baseUrl: string, user = 'alice'): Promise<{ page: Page; conversationId: string }> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/?as=${user}`);
  return { page, conversationId: await openWidgetChat(page) };
}

/** Close the SharedWorker serving `tab` over CDP, as the browser does under memory pressure. */
export async function closeSharedWorker(browser: Browser, tab: Page) {
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  // Only this test's worker: another test's context may still be winding down.
  const contextId = targetInfos.find((t) => t.type === 'page' && t.url === tab.url())?.browserContextId;
  expect(contextId).toBeDefined();
  const worker = targetInfos.find((t) => t.type === 'shared_worker' && t.browserContextId === contextId);
  expect(worker).toBeDefined();
  await cdp.send('Target.closeTarget', { targetId: worker!.targetId });
  return { cdp, contextId, workerId: worker!.targetId };
}
