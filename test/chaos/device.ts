/**
 * One device of the chaos workload: the worker's Engine + SyncLayer + LocalStore in Node (as
 * test/support/messagingClient.ts, plus a role in the token, the shop as a party, a device id and
 * compressed timeouts), on its own database file, through its own fault proxy. A restart closes
 * everything and opens the same file again: a reload, as far as the engine can tell.
 */
import { Engine } from '../../worker/engine/Engine';
import { DEFAULT_ENGINE_OPTIONS, mediaBaseUrl, type EngineOptions } from '../../worker/options';
import type { Platform } from '../../worker/platform';
import { BetterSqliteDriver } from '../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../worker/store/LocalStore';
import type { LocalMessage } from '../../worker/store/types';
import { SyncLayer } from '../../worker/sync/SyncLayer';
import type { Role, TextContent } from '../../schema';
import { nodePlatform } from '../support/nodePlatform';
import { makeToken, TEST_SECRET } from '../support/server';
import type { TcpProxy } from '../support/tcpProxy';
import { ActionChain } from './actionChain';
import { readDevice, type DeviceSnapshot } from './checker';
import type { DisruptionKind } from './rejections';

export interface UserSpec {
  id: string;
  role: Role;
  /** A merchant's shop (a party of the shop's conversations). */
  shop?: string;
}

/**
 * Engine timing for the chaos run: the defaults divided by 3 to 10, so a run of minutes goes
 * through many request timeouts, dead heartbeats and reconnects. Reconnects never give up.
 */
export const CHAOS_ENGINE_TIMING: Omit<EngineOptions, 'url' | 'deviceId'> = {
  ...DEFAULT_ENGINE_OPTIONS,
  heartbeat: { intervalMs: 2_000, timeoutMs: 2_000 },
  reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, jitter: 0.3, maxAttempts: 1_000_000, stableAfterMs: 3_000 },
  connectTimeoutMs: 3_000,
  requests: { timeoutMs: 3_000, maxPending: 256 },
};

/** What a device reports as the engine runs: live-query results and notable engine events. */
export interface DeviceObserver {
  messages(device: string, conversationId: string, messages: LocalMessage[]): void;
  event(device: string, kind: string, detail: string): void;
  /** The engine stored the push at `cursor` (and will ack it). */
  pushStored(device: string, cursor: number): void;
  /** A fault interrupted the device's engine or storage from `from` to `to` (ms since the epoch). */
  disrupted(device: string, kind: DisruptionKind, from: number, to: number): void;
}

/**
 * What the harness does with a device, Node or browser (browser/browserDevice.ts): the actions of
 * the schedule, its connection status, and its database as the checker reads it.
 */
export interface ChaosDevice {
  readonly id: string;
  readonly user: UserSpec;
  readonly proxy: TcpProxy;
  /** Queue `fn` behind this device's earlier actions; errors are reported, never thrown into the chain. */
  enqueue(label: string, fn: () => Promise<void>): Promise<void>;
  /** Resolves when every queued action has run. */
  idle(): Promise<void>;
  open(conversations: readonly string[]): Promise<void>;
  close(how?: 'reload' | 'crash'): Promise<void>;
  /** `send()` as a tab calls it: resolves once the message is stored locally as pending. */
  send(conversationId: string, text: string, id: string): Promise<unknown>;
  markRead(conversationId: string): Promise<void>;
  /** Press Resend on a failed message. */
  resend(id: string): Promise<void>;
  /** Press Recall on an own message the server has (`unsent`: not sent yet, nothing done). */
  recall(id: string): Promise<'called' | 'unsent'>;
  /** The connection's status ('online', 'backoff', ...), or 'closed' while the device is down. */
  status(): Promise<string>;
  /** Reconnect if the engine sits in a terminal state (an app's "retry" button). */
  wake(): Promise<void>;
  /** The database now, as the checker reads it. */
  snapshot(): Promise<DeviceSnapshot>;
  /** Close (gracefully) and return the database as it was left: the run's final word. */
  finalSnapshot(): Promise<DeviceSnapshot>;
}

interface Running {
  engine: Engine;
  messaging: SyncLayer;
  store: LocalStore;
}

export class Device implements ChaosDevice {
  private running: Running | null = null;
  private readonly actions = new ActionChain((label, err) => this.observer.event(this.id, 'action_error', `${label}: ${String(err)}`));
  /** Stored push cursor when last closed, to catch a cursor going back across a reload. */
  lastCursor = 0;
  opens = 0;

  constructor(
    readonly id: string,
    readonly user: UserSpec,
    readonly dbFile: string,
    readonly proxy: TcpProxy,
    private readonly observer: DeviceObserver,
    private readonly platform: Platform = nodePlatform(),
  ) {}

  get isOpen(): boolean {
    return this.running !== null;
  }

  get messaging(): SyncLayer {
    if (!this.running) throw new Error(`${this.id} is closed`);
    return this.running.messaging;
  }

  get engine(): Engine {
    if (!this.running) throw new Error(`${this.id} is closed`);
    return this.running.engine;
  }

  enqueue(label: string, fn: () => Promise<void>): Promise<void> {
    return this.actions.enqueue(label, fn);
  }

  idle(): Promise<void> {
    return this.actions.idle();
  }

  async open(conversations: readonly string[]): Promise<void> {
    if (this.running) return;
    const { id, user, platform } = this;
    const store = await LocalStore.open(new BetterSqliteDriver(this.dbFile), {
      userId: user.id,
      partyIds: user.shop ? [user.shop] : [],
      now: Date.now,
    });
    const cursor = await store.getCursor();
    if (cursor < this.lastCursor) this.observer.event(id, 'cursor_regression', `stored cursor ${cursor} < ${this.lastCursor} before the reload`);
    const url = `ws://127.0.0.1:${this.proxy.port}/ws`;
    const getToken = async () =>
      makeToken(TEST_SECRET, user.id, { role: user.role, ...(user.shop ? { shop: user.shop } : {}) });
    const media = { baseUrl: mediaBaseUrl({ url }), getToken };
    const engine = new Engine<SyncLayer>({
      platform,
      options: { ...CHAOS_ENGINE_TIMING, url, deviceId: id },
      tokens: { getToken },
      inbox: (port) => new SyncLayer({ store, platform, engine: port, media }),
      ...(await store.resumePoint()),
    });
    const messaging = engine.inbox!;
    /** Cursors reported on arrival, not yet committed. */
    const arrived: number[] = [];
    engine.events.on((e) => {
      if (e.type === 'state' && ['kicked', 'auth_failed', 'gave_up'].includes(e.state.status)) {
        this.observer.event(id, e.state.status, JSON.stringify(e.state));
      } else if (e.type === 'receive_error') this.observer.event(id, 'receive_error', `${e.code}: ${e.message}`);
      // With synchronous=FULL the server never loses what it pushed: a resync here is a finding.
      else if (e.type === 'resync') this.observer.event(id, 'resync', `to cursor ${e.cursor}: ${e.requeued} requeued, ${e.dropped} dropped`);
      // 'receive' usually comes before the commit; 'stored' says everything up to its cursor is committed.
      else if (e.type === 'receive') {
        if (e.stored) this.observer.pushStored(id, e.cursor);
        else arrived.push(e.cursor);
      } else if (e.type === 'stored') {
        while (arrived.length > 0 && arrived[0]! <= e.cursor) this.observer.pushStored(id, arrived.shift()!);
      }
      // A rollback restarts the stream after its cursor: what arrived above it was never stored.
      if (e.type === 'resync') arrived.splice(0, arrived.length, ...arrived.filter((c) => c <= e.cursor));
    });
    this.running = { engine, messaging, store };
    this.opens++;
    for (const c of conversations) this.watch(c);
    engine.start();
  }

  /** Observe a conversation's latest page (the live query a tab would hold). */
  watch(conversationId: string): void {
    this.running?.messaging.live.addWhole('chaos', { kind: 'messages', conversationId, limit: 100 }, (r) => {
      if (r.kind === 'messages') this.observer.messages(this.id, conversationId, r.messages);
    });
  }

  /**
   * `reload`: engine, then messaging, then store, as test/support/messagingClient.ts stops a client
   * (in-flight requests are rejected with CLOSED and the outbox hears of it). `crash`: the store
   * first, so nothing is written after this moment, as when a browser kills the worker.
   */
  async close(how: 'reload' | 'crash' = 'reload'): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.running = null;
    if (how === 'crash') {
      const cursor = r.store.getCursor().catch(() => this.lastCursor);
      await r.store.close();
      r.engine.close();
      r.messaging.close();
      this.lastCursor = await cursor;
      return;
    }
    this.lastCursor = await r.store.getCursor().catch(() => this.lastCursor);
    // The sync layer is closed before the store: an outbox attempt that hears CLOSED from the closing
    // engine leaves its rows queued (OutboxRunner.recordFailure), for the next open to send.
    r.engine.close();
    r.messaging.close();
    await r.store.close();
  }

  send(conversationId: string, text: string, id: string): Promise<LocalMessage> {
    const content: TextContent = { type: 'text', text };
    return this.messaging.send(conversationId, content, id);
  }

  markRead(conversationId: string): Promise<void> {
    return this.messaging.markRead(conversationId);
  }

  resend(id: string): Promise<void> {
    return this.messaging.resend(id);
  }

  async recall(id: string): Promise<'called' | 'unsent'> {
    const m = await this.running?.store.message(this.user.id, id);
    if (!m || m.seq === null) return 'unsent';
    await this.messaging.recall(id);
    return 'called';
  }

  async status(): Promise<string> {
    return this.running?.engine.getState().status ?? 'closed';
  }

  async wake(): Promise<void> {
    const s = this.running?.engine.getState().status;
    if (s === 'kicked' || s === 'auth_failed' || s === 'gave_up') this.running!.engine.reconnect();
  }

  async snapshot(): Promise<DeviceSnapshot> {
    return readDevice(this.id, this.user.id, this.dbFile);
  }

  async finalSnapshot(): Promise<DeviceSnapshot> {
    await this.close();
    return readDevice(this.id, this.user.id, this.dbFile);
  }
}
