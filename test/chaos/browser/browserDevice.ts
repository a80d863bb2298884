/**
 * A browser device of the chaos run: one Chromium on its own profile (chromiumProcess.ts) with a
 * few tabs of the harness page, which share one SharedWorker engine and its IndexedDB database,
 * and reach the server through the device's fault proxy. Besides the Node device's actions it
 * takes the browser's own faults: SIGKILL of the whole browser mid-burst and a relaunch on the
 * same profile, the SharedWorker closed over CDP, a tab frozen, a tab reloaded.
 *
 * What the checker reads is what the engine stored, as for a Node device: the tabs load the chaos
 * worker (chaosWorker.ts), whose `client.diagnostics()` also returns the stored messages, outbox,
 * read positions and cursor, and the pushes its engines stored (logged in the same transactions).
 * At the end every tab's view must show what the database holds (viewDiffs.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext, CDPSession, Page } from '@playwright/test';
import { ParleyError, type ErrorCode } from '../../../schema';
import type { StoreDiagnostics } from '../../../worker/store/diagnostics';
import type { LocalMessage } from '../../../worker/store/types';
import type { TcpProxy } from '../../support/tcpProxy';
import { ActionChain } from '../actionChain';
import { deviceSnapshot, type DeviceSnapshot } from '../checker';
import type { ChaosDevice, DeviceObserver, UserSpec } from '../device';
import type { DisruptionKind } from '../rejections';
import type { BrowserFault } from '../schedule';
import { chaosPart } from './chaosStore';
import { ChromiumProcess } from './chromiumProcess';
import { viewDiffs } from './viewDiffs';
import { CHAOS_WORKER_PATH, type WebServer } from './webServer';

/** The origin's quota outside a quota fault, set at each launch before any tab opens storage. */
const ROOMY_QUOTA = 1024 ** 3;
/** During a quota fault: less than any profile here holds, so nothing more fits. */
const FULL_QUOTA = 64 * 1024;

/** A view holds every message of a conversation: more than any run sends to one. */
const VIEW_LIMIT = 5_000;
const CALL_MS = 15_000;
/** A tab's first paint after a relaunch, on a machine this run keeps busy, took up to ~10 s. */
const TAB_READY_MS = 30_000;
const TERMINAL = ['kicked', 'auth_failed', 'gave_up'];

/** A send that got no answer: the browser died or the tab went while it ran (its outcome is unknown). */
export class SendUnanswered extends Error {}

type Row = Pick<LocalMessage, 'id' | 'senderId' | 'conversationId' | 'seq' | 'state' | 'content' | 'error'>;
type ChaosWindow = Window & {
  ready?: boolean;
  client: {
    state: { status: string };
    send(cid: string, content: unknown, opts: { id: string }): Promise<{ id: string }>;
    markRead(cid: string): Promise<void>;
    resend(id: string): Promise<void>;
    recall(id: string): Promise<void>;
    reconnect(): Promise<void>;
    diagnostics(): Promise<StoreDiagnostics>;
    watchMessages(cid: string, listener: (m: Row[]) => void, opts: { limit: number }): () => void;
    on(type: string, listener: (e: never) => void): () => void;
  };
  chaosEvent(kind: string, detail: string): void;
  chaosViews: Record<string, Row[]>;
  chaosView(cid: string, rows: Row[]): void;
};

export class BrowserDevice implements ChaosDevice {
  private readonly chromium: ChromiumProcess;
  private context: BrowserContext | null = null;
  private tabs: (Page | null)[];
  /** Tabs not to call into: frozen, or being reloaded. */
  private readonly busy = new Set<number>();
  private conversations: readonly string[] = [];
  private readonly actions = new ActionChain((label, err) => this.observer.event(this.id, 'action_error', `${label}: ${String(err)}`));
  /** While the browser is down after a crash: resolves once it is back with its tabs. */
  private relaunching: Promise<void> | null = null;
  private nextTab = 0;
  /** While pages or the browser are being closed; see create(). */
  private tearingDown = 0;
  private readonly teardowns = new Set<Promise<void>>();
  private readonly creating = new Set<Promise<unknown>>();
  private quotaSession: CDPSession | null = null;
  /** The tab sends go to while any is in flight (see send). */
  private sendTab: Promise<Page> | null = null;
  private sendsInFlight = 0;
  crashes = 0;

  constructor(
    readonly id: string,
    readonly user: UserSpec,
    readonly proxy: TcpProxy,
    private readonly web: WebServer,
    private readonly observer: DeviceObserver,
    tabCount: number,
    profileDir: string,
  ) {
    this.chromium = new ChromiumProcess(profileDir);
    this.tabs = Array.from({ length: tabCount }, () => null);
  }

  enqueue(label: string, fn: () => Promise<void>): Promise<void> {
    return this.actions.enqueue(label, fn);
  }

  idle(): Promise<void> {
    return this.actions.idle();
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /**
   * Launch the browser if it is down and open the missing tabs; after a relaunch, and any closing
   * of pages or the browser, in progress (heal may come while a kill or a reload is under way).
   */
  async open(conversations: readonly string[]): Promise<void> {
    while (this.relaunching || this.teardowns.size > 0) {
      if (this.relaunching) await this.relaunching;
      await Promise.allSettled([...this.teardowns]);
    }
    return this.openNow(conversations);
  }

  private async openNow(conversations: readonly string[], quota = ROOMY_QUOTA): Promise<void> {
    this.conversations = conversations.length > 0 ? conversations : this.conversations;
    if (!this.context) {
      this.context = await this.chromium.launch();
      await this.setQuota(quota);
    }
    for (let i = 0; i < this.tabs.length; i++) if (!this.tabs[i]) this.tabs[i] = await this.openTab(i);
  }

  /** Watch more conversations in every tab (they are created after the devices open). */
  async watchAll(conversations: readonly string[]): Promise<void> {
    this.conversations = conversations;
    for (const page of this.tabs) if (page) await this.watchIn(page);
  }

  /**
   * `reload`: close every tab (the SharedWorker ends with the last), once a relaunch in progress is
   * done. `crash`: SIGKILL the browser.
   */
  async close(how: 'reload' | 'crash' = 'reload'): Promise<void> {
    if (how === 'reload' && this.relaunching) await this.relaunching;
    if (how === 'crash') {
      this.crashes++;
      this.observer.event(this.id, 'browser_killed', `browser SIGKILLed (${this.crashes})`);
      return this.tearDown(() => this.chromium.kill9());
    }
    const pages = this.tabs.filter((p): p is Page => p !== null);
    this.tabs = this.tabs.map(() => null);
    this.busy.clear();
    await this.tearDown(() => Promise.all(pages.map((p) => p.close().catch(() => {}))), false);
  }

  /**
   * Close pages or the browser once no Playwright object is being made, and refuse new ones
   * meanwhile (see create()). `browser`: the browser goes, so does everything held on it.
   */
  private tearDown(close: () => Promise<unknown>, browser = true): Promise<void> {
    const done = this.tearDownNow(close, browser);
    this.teardowns.add(done);
    return done.finally(() => this.teardowns.delete(done));
  }

  private async tearDownNow(close: () => Promise<unknown>, browser: boolean): Promise<void> {
    this.tearingDown++;
    try {
      await Promise.allSettled([...this.creating]);
      if (browser) {
        this.busy.clear();
        this.tabs = this.tabs.map(() => null);
        this.context = null;
        this.quotaSession = null;
      }
      await close();
    } finally {
      this.tearingDown--;
    }
  }

  /**
   * A crash that does not wait its turn: SIGKILL now, whatever the tabs are doing, then relaunch
   * on the same profile after `downMs`. Actions queued meanwhile wait for the relaunch. False
   * (nothing done) while the browser is still coming back from the last one.
   */
  crashNow(downMs: number): boolean {
    if (this.relaunching) return false;
    const from = Date.now();
    this.relaunching = (async () => {
      try {
        await this.close('crash');
      } finally {
        this.observer.disrupted(this.id, 'browser-kill', from, Date.now());
      }
      await sleep(downMs);
      const started = Date.now();
      await this.openNow(this.conversations);
      this.observer.event(this.id, 'browser_relaunched', `tabs ready ${Date.now() - started} ms after the relaunch began`);
    })()
      .catch((err: unknown) => this.observer.event(this.id, 'relaunch_failed', String(err)))
      .finally(() => (this.relaunching = null));
    return true;
  }

  /**
   * Apply a browser fault: null once applied, else why it could not be (the tab is frozen, ...).
   * One that lands while the browser is relaunching strikes once it is back: how long a relaunch
   * takes depends on the machine, and skipping would make the run's faults depend on it too.
   */
  async fault(f: BrowserFault): Promise<string | null> {
    while (this.relaunching) await this.relaunching;
    if (!this.context) return 'the browser is down';
    const from = Date.now();
    const disrupted = (kind: DisruptionKind, since = from) => this.observer.disrupted(this.id, kind, since, Date.now());
    switch (f.kind) {
      case 'worker-close': {
        const cdp = await this.create(() => this.chromium.cdp());
        try {
          const { targetInfos } = await cdp.send('Target.getTargets');
          const workers = targetInfos.filter((t) => t.type === 'shared_worker');
          for (const t of workers) await cdp.send('Target.closeTarget', { targetId: t.targetId });
          if (workers.length === 0) return `no SharedWorker among ${targetInfos.map((t) => t.type).join(', ')}`;
          disrupted('worker-close');
          return null;
        } finally {
          await cdp.detach().catch(() => {});
        }
      }
      case 'freeze': {
        const page = this.tabs[f.tab];
        if (!page || this.busy.has(f.tab)) return page ? 'the tab is frozen or reloading' : 'the tab is closed';
        this.busy.add(f.tab);
        const cdp = await this.create(() => page.context().newCDPSession(page));
        await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
        await sleep(f.durationMs);
        if (this.tabs[f.tab] === page) await cdp.send('Page.setWebLifecycleState', { state: 'active' }).catch(() => {});
        await cdp.detach().catch(() => {});
        if (this.tabs[f.tab] === page) this.busy.delete(f.tab);
        return null;
      }
      case 'quota': {
        // Chromium applies a quota override only to storage it has not opened in this session, so
        // a disk filling up is played as a restart on a quota below what the profile holds; the
        // quota is freed after the episode, as when the user makes room.
        try {
          this.relaunching = (async () => {
            try {
              await this.shutDown();
            } finally {
              disrupted('quota-restart');
            }
            await this.openNow(this.conversations, FULL_QUOTA);
          })().finally(() => (this.relaunching = null));
          await this.relaunching;
          const session = this.quotaSession;
          await sleep(f.durationMs);
          // Not if the browser was relaunched meanwhile: that launch set the roomy quota.
          if (session && session === this.quotaSession) await this.setQuota(ROOMY_QUOTA).catch(() => {});
          return null;
        } finally {
          disrupted('quota');
        }
      }
      case 'tab-reload': {
        const page = this.tabs[f.tab];
        if (!page || this.busy.has(f.tab)) return page ? 'the tab is frozen or reloading' : 'the tab is closed';
        this.busy.add(f.tab);
        try {
          this.tabs[f.tab] = null;
          await this.tearDown(() => page.close(), false);
          if (!this.relaunching && this.context) this.tabs[f.tab] = await this.openTab(f.tab);
        } finally {
          this.busy.delete(f.tab);
          disrupted('tab-reload');
        }
        return null;
      }
    }
  }

  /**
   * Clamp or free the origin's storage quota. Over one CDP session kept for the browser's life, on
   * its first (blank) page: Chromium drops an override when the session that set it goes away.
   */
  private async setQuota(bytes: number): Promise<void> {
    if (!this.quotaSession) {
      const context = this.context!;
      const blank = context.pages()[0] ?? (await this.create(() => context.newPage()));
      this.quotaSession = await this.create(() => context.newCDPSession(blank));
    }
    await this.quotaSession.send('Storage.overrideQuotaForOrigin', { origin: this.web.url, quotaSize: bytes });
  }

  /**
   * Make a Playwright object (page, binding, CDP session), never while the browser is being
   * killed: playwright-core throws an error nobody can catch when an object's parent vanishes
   * while it is being made ("Cannot find parent object ..."), which ends the whole run.
   */
  private async create<T>(make: () => Promise<T>): Promise<T> {
    if (this.tearingDown > 0) throw new Error(`${this.id}: pages or the browser are being closed`);
    const made = make();
    this.creating.add(made);
    try {
      return await made;
    } finally {
      this.creating.delete(made);
    }
  }

  private async openTab(i: number): Promise<Page> {
    const context = this.context!;
    const page = await this.create(() => context.newPage());
    await this.create(() => page.exposeBinding('chaosView', (_source, cid: string, rows: Row[]) =>
      this.observer.messages(`${this.id}#${i}`, cid, rows as LocalMessage[]),
    ));
    // The engine's notable events reach every tab: hear them from the first only.
    await this.create(() =>
      page.exposeBinding('chaosEvent', (_source, kind: string, detail: string) => {
        if (i === 0) this.observer.event(this.id, kind, detail);
      }),
    );
    const q = new URLSearchParams({
      as: this.user.id,
      ...(this.user.shop ? { shop: this.user.shop } : {}),
      ws: `ws://127.0.0.1:${this.proxy.port}/ws`,
      worker: CHAOS_WORKER_PATH,
      // The chaos timing of the Node devices (device.ts CHAOS_ENGINE_TIMING).
      hb: '2000',
      hbt: '2000',
      backoff: '100',
      maxBackoff: '1000',
      attempts: '1000000',
      timeout: '3000',
    });
    await page.goto(`${this.web.url}/harness/?${q}`);
    await page.waitForFunction(() => (window as unknown as ChaosWindow).ready === true, null, { timeout: TAB_READY_MS });
    await this.watchIn(page);
    return page;
  }

  private watchIn(page: Page): Promise<void> {
    return page.evaluate(
      ({ cids, limit }) => {
        const w = window as unknown as ChaosWindow & { chaosWatched?: Set<string>; chaosHeard?: boolean };
        if (!w.chaosHeard) {
          w.chaosHeard = true;
          w.client.on('receive_error', (e: { code: string; message: string }) => w.chaosEvent('receive_error', `${e.code}: ${e.message}`));
          w.client.on('resync', (e: { cursor: number; requeued: number; dropped: number }) =>
            w.chaosEvent('resync', `to cursor ${e.cursor}: ${e.requeued} requeued, ${e.dropped} dropped`),
          );
        }
        w.chaosViews ??= {};
        w.chaosWatched ??= new Set();
        for (const cid of cids) {
          if (w.chaosWatched.has(cid)) continue;
          w.chaosWatched.add(cid);
          w.client.watchMessages(
            cid,
            (messages) => {
              const rows = messages.map(({ id, senderId, conversationId, seq, state, content, error }) => ({ id, senderId, conversationId, seq, state, content, error }));
              w.chaosViews[cid] = rows;
              w.chaosView(cid, rows);
            },
            { limit },
          );
        }
      },
      { cids: [...this.conversations], limit: VIEW_LIMIT },
    );
  }

  // ---- actions -----------------------------------------------------------------------------------

  /** A tab to call into: open, not frozen or reloading; waits (bounded) for one, and for a relaunch. */
  private async tab(): Promise<Page> {
    const deadline = Date.now() + CALL_MS;
    for (;;) {
      if (this.relaunching) await this.relaunching;
      const free = this.tabs.map((p, i) => (p && !this.busy.has(i) ? p : null)).filter((p): p is Page => p !== null);
      if (free.length > 0) return free[this.nextTab++ % free.length]!;
      if (Date.now() > deadline) throw new Error(`${this.id}: no tab to use`);
      await sleep(50);
    }
  }

  /**
   * A burst's sends all go through one tab, as one user typing: calls from two tabs reach the
   * engine on two ports, in no defined order, so the checker's "sent in this order" would not hold.
   */
  async send(conversationId: string, text: string, id: string): Promise<unknown> {
    if (this.sendsInFlight++ === 0 || !this.sendTab) this.sendTab = this.tab();
    let outcome: { id: string } | { code: string; message: string };
    try {
      const page = await this.sendTab;
      outcome = await page.evaluate(
        ({ cid, text, id }) =>
          (window as unknown as ChaosWindow).client.send(cid, { type: 'text', text }, { id }).then(
            (m) => ({ id: m.id }),
            (err: { code?: string; message?: string }) => ({ code: String(err?.code ?? 'NO_CODE'), message: String(err?.message ?? err) }),
          ),
        { cid: conversationId, text, id },
      );
    } catch (err) {
      // Killed with the browser or the tab: whether it was stored is unknown here, so the checker
      // decides from where it turns up, and asks which fault explains it (rejections.ts).
      throw new SendUnanswered(String(err));
    } finally {
      this.sendsInFlight--;
    }
    if ('id' in outcome) return outcome.id;
    this.observer.event(this.id, 'send_refused', outcome.code);
    throw new ParleyError(outcome.code as ErrorCode, `refused in the tab: ${outcome.message}`);
  }

  async markRead(conversationId: string): Promise<void> {
    const page = await this.tab();
    await page.evaluate((cid) => (window as unknown as ChaosWindow).client.markRead(cid), conversationId);
  }

  async resend(id: string): Promise<void> {
    const page = await this.tab();
    await page.evaluate((id) => (window as unknown as ChaosWindow).client.resend(id), id);
  }

  /** Recall only what the server has: a message still in the outbox is left alone. */
  async recall(id: string): Promise<'called' | 'unsent'> {
    const page = await this.tab();
    return page.evaluate(async (id) => {
      const { client } = window as unknown as ChaosWindow;
      const { outbox } = await client.diagnostics();
      if (outbox.some((o) => o.messageId === id)) return 'unsent' as const;
      await client.recall(id);
      return 'called' as const;
    }, id);
  }

  async status(): Promise<string> {
    if (this.relaunching || !this.context) return 'closed';
    const page = await this.tab();
    return page.evaluate(() => (window as unknown as ChaosWindow).client.state.status);
  }

  async wake(): Promise<void> {
    if (this.relaunching || !this.context) return;
    const page = await this.tab();
    await page.evaluate(async (terminal) => {
      const c = (window as unknown as ChaosWindow).client;
      if (terminal.includes(c.state.status)) await c.reconnect();
    }, TERMINAL);
  }

  /** Unfreeze every tab (the end of the run heals everything). */
  async thaw(): Promise<void> {
    for (const [i, page] of this.tabs.entries()) {
      if (!page || !this.busy.has(i)) continue;
      const cdp = await this.create(() => page.context().newCDPSession(page));
      await cdp.send('Page.setWebLifecycleState', { state: 'active' }).catch(() => {});
      await cdp.detach().catch(() => {});
    }
    if (this.relaunching) await this.relaunching;
  }

  /** What the engine stored, read inside the worker in one transaction (chaosStore.ts). */
  async snapshot(): Promise<DeviceSnapshot> {
    const page = await this.tab();
    const diagnostics = await page.evaluate(() => (window as unknown as ChaosWindow).client.diagnostics());
    const { rows, pushes } = chaosPart(diagnostics);
    // The profile's device id (client/connect.ts), which the server records as its sends' origin.
    const deviceId = await page.evaluate(() => localStorage.getItem('parley.deviceId'));
    return { ...deviceSnapshot(this.id, this.user.id, rows), storedPushes: pushes, ...(deviceId ? { deviceId } : {}) };
  }

  /**
   * The last snapshot, then a clean quit. Every tab's view must show what the database holds, and
   * list what the first tab's does in the same order and states: a tab that missed an update
   * (frozen, reattached) shows as lost.
   */
  async finalSnapshot(): Promise<DeviceSnapshot> {
    await this.thaw();
    // Views settle a moment after the database: give them a bounded while to agree.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const snap = await this.snapshot();
      const tabs = await Promise.all(this.tabs.map((p) => p?.evaluate(() => (window as unknown as ChaosWindow).chaosViews ?? {}) ?? null));
      const uiDiffs = viewDiffs(this.id, this.conversations, snap.messages, tabs);
      if (uiDiffs.length === 0 || Date.now() > deadline) {
        await this.shutDown();
        return { ...snap, uiDiffs };
      }
      await sleep(200);
    }
  }

  /** Quit the browser (also on teardown after a failure). */
  async shutDown(): Promise<void> {
    await this.tearDown(() => this.chromium.close());
  }
}
