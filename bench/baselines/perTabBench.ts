/**
 * Node-side helpers for the browser benchmarks that put Parley tabs beside per-tab SDK tabs
 * (fanout, paint, tabs): open a bench tab of either kind, set up a shopper's conversation with the
 * shop, send as the shop from Node, and read JS heaps over CDP.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, CDPSession, Page } from '@playwright/test';
import { connectClient, type WireClient } from '../../test/support/wireClient';
import type { BenchTab, PaintMarks } from '../browser/tabsCommon';
import type { BenchServer } from '../lib/types';

/** Parley's client (bench/browser/tabs.html) or the per-tab SDK (bench/browser/perTab.html). */
export type TabKind = 'parley' | 'pertab';

export const SHOP = 'parley-shop';
/** Parley runs as one shopper, the baseline as another: the two never see each other's pushes. */
export const SHOPPER: Record<TabKind, string> = { parley: 'alice', pertab: 'bob' };

declare const bench: BenchTab;

export function tabUrl(baseUrl: string, kind: TabKind, query: { cid?: string; rows?: number; worker?: string } = {}): string {
  const qs = new URLSearchParams({ as: SHOPPER[kind] });
  if (query.worker) qs.set('worker', query.worker);
  if (query.cid) qs.set('cid', query.cid);
  if (query.rows !== undefined) qs.set('rows', String(query.rows));
  return `${baseUrl}/bench/${kind === 'parley' ? 'tabs' : 'perTab'}.html?${qs}`;
}

/** Open a bench tab and wait until it is online with its view live. */
export async function openTab(context: BrowserContext, baseUrl: string, kind: TabKind, query: { cid?: string; rows?: number; worker?: string } = {}): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${kind} tab] ${e.message}`));
  const url = tabUrl(baseUrl, kind, query);
  let outcome: string;
  try {
    await page.goto(url);
    await page.waitForFunction(() => typeof (window as { bench?: unknown }).bench === 'object', undefined, { timeout: 30_000 });
    outcome = await page.evaluate(
      (ms) =>
        Promise.race([
          bench.ready.then(() => 'ready'),
          new Promise<string>((resolve) =>
            setTimeout(() => {
              // Parley's client keeps its live queries in a private `watches` set: a null remoteId means
              // the watch() call never settled; a set one means its results never arrived.
              const w = window as { client?: { state: { status: string }; watches?: Set<{ remoteId: string | null }> }; sdk?: { status: unknown } };
              const watches = w.client?.watches ? [...w.client.watches].map((x) => x.remoteId) : undefined;
              resolve(
                `not ready after ${ms} ms: state ${JSON.stringify(w.client?.state.status ?? w.sdk?.status)}, ` +
                  `${document.getElementById('messages')?.children.length} rows, watch ids ${JSON.stringify(watches)}`,
              );
            }, ms),
          ),
        ]),
      30_000,
    );
  } catch (err) {
    outcome = String((err as Error)?.message ?? err);
  }
  if (outcome !== 'ready') {
    await page.close();
    throw new Error(`${kind} tab ${url}: ${outcome}`);
  }
  return page;
}

/**
 * Open `count` tabs: the first alone (for Parley it starts the engine), then the rest at once (they
 * join it), which is much faster than one by one on a busy machine.
 */
export async function openTabs(
  context: BrowserContext,
  baseUrl: string,
  kind: TabKind,
  count: number,
  query: { cid?: string; rows?: number } = {},
  /** Told about a tab that never became ready (it is closed and opened again, once). */
  onStuck: (why: string) => void = () => {},
): Promise<Page[]> {
  const open = async (): Promise<Page> => {
    try {
      return await openTab(context, baseUrl, kind, query);
    } catch (err) {
      onStuck(String((err as Error)?.message ?? err));
      return openTab(context, baseUrl, kind, query);
    }
  };
  const first = await open();
  const rest = await Promise.all(Array.from({ length: count - 1 }, open));
  return [first, ...rest];
}

/** A benchmark note about tabs that had to be opened again (see openTabs), or none. */
export function stuckNote(stuck: readonly string[]): string[] {
  if (stuck.length === 0) return [];
  return [`${stuck.length} tab(s) never became ready and were opened again: ${stuck.join('; ')}`];
}

/** The page's paint marks once it has painted (ms since its navigation start). */
export async function paintMarks(page: Page, timeoutMs = 20_000): Promise<PaintMarks> {
  await page.waitForFunction(() => typeof (window as { bench?: BenchTab }).bench?.marks.painted === 'number', undefined, { timeout: timeoutMs });
  return page.evaluate(() => bench.marks);
}

/** The shop's side, in Node: a raw protocol client (no engine) that sends text messages. */
export interface ShopSender {
  client: WireClient;
  send(conversationId: string, text: string): Promise<void>;
  close(): Promise<void>;
}

export async function shopSender(srv: BenchServer): Promise<ShopSender> {
  const client = connectClient(srv.wsUrl, { token: srv.token('shop-agent', { role: 'merchant', shop: SHOP }), deviceId: `bench-shop-${randomUUID().slice(0, 8)}` });
  const auth = await client.authResult;
  if (auth.t !== 'auth_ok') throw new Error(`the shop could not log in: ${auth.code}`);
  return {
    client,
    async send(conversationId, text) {
      await client.call('messages.send', { conversationId, clientId: randomUUID(), content: { type: 'text', text } }, 10_000);
    },
    async close() {
      await client.close();
    },
  };
}

/** The shopper's direct conversation with the shop (created once, from Node). */
export async function conversationOf(srv: BenchServer, kind: TabKind): Promise<string> {
  const user = SHOPPER[kind];
  const client = connectClient(srv.wsUrl, { token: srv.token(user), deviceId: `bench-setup-${user}` });
  try {
    const auth = await client.authResult;
    if (auth.t !== 'auth_ok') throw new Error(`${user} could not log in: ${auth.code}`);
    const { conversation } = await client.call('conversations.create', { kind: 'direct', shopId: SHOP });
    return conversation.id;
  } finally {
    await client.close();
  }
}

/** Send `count` messages as the shop, one after the other (each waits for the server's answer). */
export async function seed(sender: ShopSender, conversationId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await sender.send(conversationId, `seed message ${i + 1}: is the blue one still in stock in size M?`);
}

/** Memory of a page or worker after a full GC, over CDP, in bytes. */
export interface HeapUse {
  /** V8's used JS heap (Runtime.getHeapUsage). */
  used: number;
  /**
   * ArrayBuffer backing stores outside the JS heap, wasm linear memory included. A page: the
   * backingStorageSize of Runtime.getHeapUsage. A worker: the 'system / JSArrayBufferData' nodes of
   * a heap snapshot, because getHeapUsage leaves wasm memory out (and Runtime.queryObjects on
   * WebAssembly.Memory crashed the SharedWorker running wa-sqlite in the Chromium we test with).
   */
  buffers: number;
}

interface HeapUsageResult {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
}

type Call = (method: string, params?: object) => Promise<unknown>;

export async function pageHeap(page: Page): Promise<HeapUse> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const r = (await cdp.send('Runtime.getHeapUsage')) as HeapUsageResult;
    return { used: r.usedSize, buffers: r.backingStorageSize ?? 0 };
  } finally {
    await cdp.detach();
  }
}

/**
 * JS heap of every SharedWorker of the context that `page` belongs to, through a browser CDP
 * session. Playwright's CDPSession cannot address a flattened child session, so this attaches
 * unflattened and talks through Target.sendMessageToTarget.
 */
export async function sharedWorkerHeaps(browser: Browser, page: Page): Promise<HeapUse[]> {
  const contextId = await contextIdOf(page);
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const workers = targetInfos.filter((t) => t.type === 'shared_worker' && t.browserContextId === contextId);
    const out: HeapUse[] = [];
    for (const w of workers) {
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: w.targetId, flatten: false });
      const call = childCaller(cdp, sessionId);
      await call('HeapProfiler.collectGarbage');
      const r = (await call('Runtime.getHeapUsage')) as HeapUsageResult;
      out.push({ used: r.usedSize, buffers: await arrayBufferBytes(cdp, sessionId, call) });
      await cdp.send('Target.detachFromTarget', { sessionId });
    }
    return out;
  } finally {
    await cdp.detach();
  }
}

/** Sum of 'system / JSArrayBufferData' in a heap snapshot of the target behind `sessionId`. */
async function arrayBufferBytes(cdp: CDPSession, sessionId: string, call: Call): Promise<number> {
  let json = '';
  const onMessage = (e: { sessionId: string; message: string }) => {
    if (e.sessionId !== sessionId) return;
    const msg = JSON.parse(e.message) as { method?: string; params?: { chunk: string } };
    if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') json += msg.params!.chunk;
  };
  cdp.on('Target.receivedMessageFromTarget', onMessage);
  try {
    await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    cdp.off('Target.receivedMessageFromTarget', onMessage);
  }
  const snap = JSON.parse(json) as { snapshot: { meta: { node_fields: string[] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const [width, name, size] = [fields.length, fields.indexOf('name'), fields.indexOf('self_size')];
  const target = snap.strings.indexOf('system / JSArrayBufferData');
  let bytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) if (snap.nodes[i + name] === target) bytes += snap.nodes[i + size]!;
  return bytes;
}

function childCaller(cdp: CDPSession, sessionId: string): Call {
  let id = 0;
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      const callId = ++id;
      const onMessage = (e: { sessionId: string; message: string }) => {
        if (e.sessionId !== sessionId) return;
        const msg = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
        if (msg.id !== callId) return;
        cdp.off('Target.receivedMessageFromTarget', onMessage);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result);
      };
      cdp.on('Target.receivedMessageFromTarget', onMessage);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: callId, method, params }) }).catch(reject);
    });
}

/** Resolves once the context has no SharedWorker left (closing its last tab ends it). */
export async function sharedWorkersGone(browser: Browser, contextId: string, timeoutMs = 10_000): Promise<void> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { targetInfos } = await cdp.send('Target.getTargets');
      if (!targetInfos.some((t) => t.type === 'shared_worker' && t.browserContextId === contextId)) return;
      if (Date.now() > deadline) throw new Error('the SharedWorker outlived its tabs');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await cdp.detach();
  }
}

/** The browser context id of a page (to find its SharedWorker among the browser's targets). */
export async function contextIdOf(page: Page): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { targetInfo } = await cdp.send('Target.getTargetInfo');
    if (!targetInfo.browserContextId) throw new Error(`no browser context for ${page.url()}`);
    return targetInfo.browserContextId;
  } finally {
    await cdp.detach();
  }
}

export const MB = 1024 * 1024;
