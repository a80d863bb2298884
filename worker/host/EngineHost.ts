/**
 * One per worker: creates the Engine on the first attach, keeps the set of attached tabs, fans
 * events out to them, asks them for tokens, and forgets a tab when its Web Lock is released
 * (comlink has no close signal, and a call to a dead tab would hang forever).
 */
import { ErrorCode, ParleyError } from '../../schema';
import { Engine } from '../engine/Engine';
import { NotificationPicker } from '../notify/NotificationPicker';
import type { LocalStore } from '../store/LocalStore';
import type { StorageDurability } from '../store/SqlDriver';
import { SyncLayer } from '../sync/SyncLayer';
import { mediaBaseUrl } from '../options';
import type { Platform } from '../platform';
import type { AttachRequest, EngineEvent, EventMessage, TabCallbacks } from '../protocol';
import { withTimeout } from './withTimeout';

/** How long a tab may take to produce a token before the next tab is asked. */
const TOKEN_TIMEOUT_MS = 5_000;

export interface AttachedTab {
  id: string;
  callbacks: TabCallbacks;
  events: MessagePort;
  attachedAt: number;
}

/**
 * Opens this user's local database (wa-sqlite in the browser; better-sqlite3 in Node tests),
 * encrypted at rest with `key` when given (KEY_REJECTED when it does not open with it).
 */
export type StoreOpener = (user: string, parties: string[], key?: string) => Promise<OpenedStore>;

export interface OpenedStore {
  store: LocalStore;
  durability: StorageDurability;
  /** Re-encrypts with a new key; absent when the store is not encrypted. */
  rekey?: (key: string) => Promise<void>;
}

/**
 * Deletes a user's local data on a wiping sign-out: `begin` records that a wipe is due (before
 * anything closes: a wipe cut short from there on is finished at the next open), `finish` deletes
 * once the store is closed.
 */
export interface UserWiper {
  begin(user: string): Promise<void>;
  finish(user: string): Promise<void>;
  /** How many unsent messages the user's database holds as last tallied outside it (encrypted ones), or null. */
  unsentTally(user: string): Promise<number | null>;
}

/** The running engine and what sits on it, shared by every tab of this worker. */
export interface Running {
  engine: Engine<SyncLayer>;
  /** Which tab shows a message's notification. */
  notifications: NotificationPicker;
  /** The sync layer on the local store; null when there is no store. */
  sync: SyncLayer | null;
  durability: StorageDurability;
  /** Started on a new local copy, the old one not opening with the key: what it dropped. */
  rebuilt: { unsent: number | null } | null;
  /** Re-encrypt the store; absent when it is not encrypted. */
  rekey?: (key: string) => Promise<void>;
  /** Close the local store (after the engine and the sync layer). */
  close(): Promise<void>;
}

export interface Locks {
  request(name: string, callback: () => Promise<unknown> | unknown): Promise<unknown>;
}

export class EngineHost {
  private running: Promise<Running> | null = null;
  /** Whose engine runs (the first attach says). */
  private user: string | null = null;
  /** The key the running store is encrypted with; tabs joining it must give the same. */
  private key: string | undefined = undefined;
  private readonly tabs = new Map<string, AttachedTab>();
  readonly workerLock: string;
  private readonly lockHeld: Promise<void>;

  constructor(
    private readonly platform: Platform,
    private readonly locks: Locks | null,
    workerId: string,
    /** Without one, nothing is stored locally: pushes are acked once emitted. */
    private readonly openStore: StoreOpener | null = null,
    private readonly wipeUser: UserWiper | null = null,
  ) {
    this.workerLock = `parley-worker:${workerId}`;
    // Held until this worker dies; tabs wait on it to learn of our death.
    this.lockHeld = locks
      ? new Promise<void>((held) => {
          void locks.request(this.workerLock, () => {
            held();
            return new Promise<never>(() => {});
          });
        })
      : Promise.resolve();
  }

  async attach(req: AttachRequest, callbacks: TabCallbacks, events: MessagePort): Promise<Running> {
    await this.lockHeld;
    const tab: AttachedTab = { id: req.tabId, callbacks, events, attachedAt: this.platform.clock.now() };
    this.tabs.set(req.tabId, tab);
    // Granted only once the tab has died (it holds this lock for its life).
    void this.locks?.request(req.tabLock, () => this.detach(req.tabId));
    try {
      for (;;) {
        const running = this.running;
        if (!running) {
          const starting = this.start(req);
          this.running = starting;
          // A start that failed (a rejected key) leaves nothing running: the next attach tries again.
          starting.catch(() => {
            if (this.running === starting) this.running = null;
          });
          return await starting;
        }
        // Another tab's start may fail (its key): then this tab starts the engine with its own.
        const r = await running.catch(() => null);
        if (!r) continue;
        if (req.encryption?.key !== this.key) {
          throw new ParleyError(ErrorCode.KEY_REJECTED, 'the local database is open with another encryption key (rotated since this tab got its key?)', { details: { unsent: null } });
        }
        return r;
      }
    } catch (err) {
      this.tabs.delete(req.tabId);
      throw err;
    }
  }

  /** A key rotation: the store is re-encrypted with `key`, and tabs attaching from now on give it. */
  async changeKey(key: string): Promise<void> {
    const r = await this.running;
    if (!r?.rekey) throw new ParleyError(ErrorCode.INVALID_PARAMS, 'the local database is not encrypted: connect with `encryption` to encrypt it');
    await r.rekey(key); // INVALID_PARAMS for an empty or non-string key
    this.key = key;
  }

  /**
   * The user signs out: the engine closes for every tab (each hears `signed_out`); with `wipe`, their
   * store is closed and their local data deleted. A later attach starts afresh.
   */
  async signOut(opts: { wipe: boolean; discardUnsent?: boolean }): Promise<{ dropped: number }> {
    const running = this.running;
    if (!running) return { dropped: 0 };
    const r = await running;
    const unsent = (await r.sync?.unsentCount()) ?? 0;
    if (opts.wipe && unsent > 0 && opts.discardUnsent !== true) {
      throw new ParleyError(ErrorCode.UNSENT_MESSAGES, `${unsent} messages are not sent yet: a wipe would drop them`);
    }
    const wiping = opts.wipe && this.user !== null && this.wipeUser !== null ? { user: this.user, wiper: this.wipeUser } : null;
    await wiping?.wiper.begin(wiping.user);
    await r.engine.signOut();
    this.running = null;
    r.sync?.close();
    await r.close();
    await wiping?.wiper.finish(wiping.user);
    this.broadcast({ type: 'signed_out', wiped: opts.wipe });
    return { dropped: opts.wipe ? unsent : 0 };
  }

  /** First attach: open the user's database (local-first: before any network), then connect. */
  private async start(req: AttachRequest): Promise<Running> {
    this.user = req.user;
    this.key = req.encryption?.key;
    const { opened, rebuilt } = await this.openLocal(req);
    const media = { baseUrl: mediaBaseUrl(req.options), getToken: (fresh: boolean) => this.askTabsForToken(fresh) };
    const engine = new Engine<SyncLayer>({
      platform: this.platform,
      options: req.options,
      tokens: { getToken: (fresh) => this.askTabsForToken(fresh) },
      ...(opened
        ? {
            inbox: (port) => new SyncLayer({ store: opened.store, platform: this.platform, engine: port, media }),
            ...(await opened.store.resumePoint()),
          }
        : {}),
    });
    const notifications = new NotificationPicker(this.platform, (e) => this.broadcast(e), () => {
      const s = engine.getState();
      return s.status === 'online' ? [s.userId, ...(s.shopId ? [s.shopId] : []), ...req.parties] : [req.user, ...req.parties];
    });
    // Tabs hear one stream: the engine's events and the sync layer's.
    engine.events.on((e) => {
      this.broadcast(e);
      if (e.type === 'receive' && e.event.kind === 'message') notifications.arrived(e.event.message);
    });
    engine.inbox?.events.on((e) => this.broadcast(e));
    engine.start();
    return {
      engine,
      notifications,
      sync: engine.inbox,
      durability: opened?.durability ?? 'memory',
      rebuilt,
      ...(opened?.rekey ? { rekey: opened.rekey } : {}),
      close: async () => void (await opened?.store.close()),
    };
  }

  /**
   * The user's store. A key it does not open with fails the start with KEY_REJECTED and the tally
   * of unsent messages, or, when the tab asked for it, the local copy is deleted (journaled, like a
   * wiping sign-out) and a new one made with that key: the server fills it again.
   */
  private async openLocal(req: AttachRequest): Promise<{ opened: OpenedStore | null; rebuilt: { unsent: number | null } | null }> {
    if (!this.openStore) return { opened: null, rebuilt: null };
    const key = req.encryption?.key;
    try {
      return { opened: await this.openStore(req.user, req.parties, key), rebuilt: null };
    } catch (err) {
      if (!ParleyError.is(err, ErrorCode.KEY_REJECTED)) throw err;
      const unsent = (await this.wipeUser?.unsentTally(req.user).catch(() => null)) ?? null;
      if (req.encryption?.onKeyRejected !== 'rebuild' || !this.wipeUser) {
        throw new ParleyError(ErrorCode.KEY_REJECTED, err.message, { details: { unsent } });
      }
      await this.wipeUser.begin(req.user);
      await this.wipeUser.finish(req.user);
      return { opened: await this.openStore(req.user, req.parties, key), rebuilt: { unsent } };
    }
  }

  /** Send one tab something on its events port. */
  post(tabId: string, msg: EventMessage): void {
    this.tabs.get(tabId)?.events.postMessage(msg);
  }

  detach(tabId: string): void {
    const tab = this.tabs.get(tabId);
    if (!tab) return;
    this.tabs.delete(tabId);
    tab.events.close();
    void this.running?.then((r) => {
      r.sync?.live.removeOwner(tabId);
      r.engine.signals.unwatch(tabId);
      r.notifications.forget(tabId);
    });
  }

  get tabCount(): number {
    return this.tabs.size;
  }

  private broadcast(event: EngineEvent): void {
    const msg: EventMessage = { kind: 'event', event };
    for (const tab of this.tabs.values()) tab.events.postMessage(msg);
  }

  /** Newest tab first: the most recently opened is the likeliest to be alive and logged in. */
  private async askTabsForToken(fresh: boolean): Promise<string> {
    const tabs = [...this.tabs.values()].sort((a, b) => b.attachedAt - a.attachedAt);
    let lastError: unknown = null;
    for (const tab of tabs) {
      try {
        const token = await withTimeout(tab.callbacks.getToken(fresh), TOKEN_TIMEOUT_MS, 'getToken', this.platform);
        if (typeof token === 'string' && token.length > 0) return token;
      } catch (err) {
        lastError = err;
      }
    }
    throw new ParleyError(ErrorCode.DISCONNECTED, 'no live tab could provide a token', { cause: lastError });
  }
}

