/**
 * The baseline the browser benchmarks compare Parley with: what a storefront does without it. A
 * per-tab SDK: every tab opens its own WebSocket to the same Parley server (same protocol, same
 * codec), stores messages in IndexedDB (through `idb`), keeps an outbox there that it resends on
 * every (re)connect, and renders from IndexedDB. It is deliberately the obvious design, written
 * carefully: pushes are stored before they are acked, a burst of pushes shares one transaction,
 * sends are idempotent by client id, a kick is not answered with a reconnect.
 *
 * What it does not share between tabs, by design: the socket, the engine and the cursor stream.
 * Each tab is its own device to the server (pass a per-tab `deviceId`; the same id on two sockets
 * makes the server replace the older one), so the server must run with `sessionPolicy: 'multi'`.
 * The IndexedDB database (`dbName`) is shared by the origin's tabs, as a real cache would be: the
 * messages, the outbox and the highest stored push cursor, sent in the auth frame so a new tab is
 * replayed only what no tab stored yet.
 *
 * Bundled into bench pages (bench/browser/perTab*.page.ts); the 'flush' benchmark reuses it, so
 * its API is kept stable:
 *
 * ```ts
 * const sdk = await PerTabSdk.open({ wsUrl, token: () => fetchToken(), deviceId: `tab-${id}`, dbName: 'shop-alice' });
 * sdk.onMessage((m) => render(m));      // a pushed message, once it is in IndexedDB
 * await sdk.send(conversationId, 'hi'); // stored as pending with its outbox row, then sent
 * const page = await sdk.latest(conversationId, 50);
 * sdk.close();
 * ```
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { PushEvent, ServerFrame } from '../../schema';
import { decodeServerFrame, encodeFrame } from '../../schema/codec';
import { CloseCode } from '../../schema/errors';
import { HEAD_START_PROTOCOL_VERSION } from '../../schema/version';

/**
 * The naive SDK is replayed its stream from its cursor: it speaks the protocol before the head start
 * (4), which it does not implement (a new tab of it would otherwise get no history at all).
 */
const SDK_PROTOCOL_VERSION = HEAD_START_PROTOCOL_VERSION - 1;

export interface PerTabSdkOptions {
  /** The server's WebSocket URL, e.g. `ws://127.0.0.1:8080/ws`. */
  wsUrl: string;
  /** The token for the auth frame, or a function asked at every connect (it may fetch a fresh one). */
  token: string | (() => string | Promise<string>);
  /** This tab's device id (an EntityId). Unique per tab: the server replaces a socket whose device connects again. */
  deviceId: string;
  /** The IndexedDB database, shared by the origin's tabs (one per user). */
  dbName: string;
  /** First pause before reconnecting, doubled per failed attempt up to `maxReconnectDelayMs`. Default 200 ms. */
  reconnectDelayMs?: number;
  /** Default 5000 ms. */
  maxReconnectDelayMs?: number;
  /** Application ping interval (the server closes a socket silent for 75 s). Default 20 000 ms. */
  pingIntervalMs?: number;
}

/** Where the connection is. `kicked` and `closed` are final. */
export type PerTabStatus = 'connecting' | 'online' | 'backoff' | 'kicked' | 'closed';

/** A message as this SDK stores it. */
export interface StoredMessage {
  /** The client id (a UUID), the same on every attempt. */
  id: string;
  conversationId: string;
  senderId: string | null;
  text: string;
  /** The server's seq; null while pending. */
  seq: number | null;
  serverTs: number | null;
  /** Local time of send() for own messages, receipt time for others'. */
  createdAt: number;
  state: 'pending' | 'sent' | 'received';
  /** Sort key inside the conversation: seq once known, after every seq while pending. */
  order: number;
}

interface OutboxRow {
  id: string;
  conversationId: string;
  text: string;
  createdAt: number;
}

interface SdkDb extends DBSchema {
  messages: { key: string; value: StoredMessage; indexes: { byConversation: [string, number] } };
  outbox: { key: string; value: OutboxRow };
  meta: { key: string; value: number };
}

const DB_VERSION = 1;
/** Pending messages sort after every server seq, in send order. */
const PENDING_ORDER_BASE = 1e15;
/** A send not answered within this is left to the next reconnect's resend. */
const REQUEST_TIMEOUT_MS = 10_000;

type Pending = { resolve: (result: unknown) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> };

export class PerTabSdk {
  private socket: WebSocket | null = null;
  private current: PerTabStatus = 'connecting';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private readonly listeners = new Set<(m: StoredMessage) => void>();
  private readonly statusListeners = new Set<(s: PerTabStatus) => void>();
  private readonly requests = new Map<string, Pending>();
  private requestSeq = 0;
  /** Pushes waiting for their transaction; `storing` while one is in flight. */
  private queue: { cursor: number; event: PushEvent }[] = [];
  private storing = false;
  private userId: string | null = null;

  private constructor(
    private readonly db: IDBPDatabase<SdkDb>,
    private readonly opts: PerTabSdkOptions,
    /** Highest push cursor stored (by any tab of this database, as of the last read). */
    private cursor: number,
  ) {}

  /**
   * Open the database and start connecting. Resolves as soon as the database is open (reads work
   * offline); the socket comes up in the background: see `status`, `whenOnline()`.
   */
  static async open(opts: PerTabSdkOptions): Promise<PerTabSdk> {
    const db = await openDB<SdkDb>(opts.dbName, DB_VERSION, {
      upgrade(d) {
        d.createObjectStore('messages', { keyPath: 'id' }).createIndex('byConversation', ['conversationId', 'order']);
        d.createObjectStore('outbox', { keyPath: 'id' });
        d.createObjectStore('meta');
      },
    });
    const sdk = new PerTabSdk(db, opts, (await db.get('meta', 'cursor')) ?? 0);
    sdk.connect();
    return sdk;
  }

  get status(): PerTabStatus {
    return this.current;
  }

  /** Listen to status changes; returns the unsubscribe function. */
  onStatus(listener: (s: PerTabStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Resolves when the socket is authenticated (at once if it is); rejects if the SDK is closed or kicked. */
  whenOnline(): Promise<void> {
    if (this.current === 'online') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.onStatus((s) => {
        if (s === 'online') (off(), resolve());
        else if (s === 'closed' || s === 'kicked') (off(), reject(new Error(`per-tab SDK ${s}`)));
      });
    });
  }

  /**
   * Every pushed message (others' and the server's echo of our own), called once it is stored in
   * IndexedDB. Returns the unsubscribe function.
   */
  onMessage(listener: (m: StoredMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Store a text message as pending, with its outbox row, in one transaction; then send it if the
   * socket is up (otherwise the next connect sends it). Resolves with the pending message.
   */
  async send(conversationId: string, text: string, id: string = crypto.randomUUID()): Promise<StoredMessage> {
    const createdAt = Date.now();
    const message: StoredMessage = {
      id,
      conversationId,
      senderId: this.userId,
      text,
      seq: null,
      serverTs: null,
      createdAt,
      state: 'pending',
      order: PENDING_ORDER_BASE + createdAt,
    };
    const tx = this.db.transaction(['messages', 'outbox'], 'readwrite');
    await Promise.all([tx.objectStore('messages').put(message), tx.objectStore('outbox').put({ id, conversationId, text, createdAt }), tx.done]);
    if (this.current === 'online') void this.sendOne({ id, conversationId, text, createdAt });
    return message;
  }

  /** The latest `limit` messages of a conversation from IndexedDB, ascending (pending ones last). */
  async latest(conversationId: string, limit: number): Promise<StoredMessage[]> {
    const range = IDBKeyRange.bound([conversationId, -Infinity], [conversationId, Infinity]);
    const out: StoredMessage[] = [];
    let cursor = await this.db.transaction('messages').store.index('byConversation').openCursor(range, 'prev');
    while (cursor && out.length < limit) {
      out.push(cursor.value);
      cursor = await cursor.continue();
    }
    return out.reverse();
  }

  /** Messages stored for a conversation (a count, for tests and benchmarks). */
  count(conversationId: string): Promise<number> {
    return this.db.countFromIndex('messages', 'byConversation', IDBKeyRange.bound([conversationId, -Infinity], [conversationId, Infinity]));
  }

  /** Outbox rows not yet acknowledged by the server (every tab's: the outbox is shared). */
  pendingCount(): Promise<number> {
    return this.db.count('outbox');
  }

  /** Close the socket and the database. Final. */
  close(): void {
    if (this.current === 'closed') return;
    this.setStatus('closed');
    this.stopTimers();
    this.failRequests('closed');
    this.socket?.close(CloseCode.NORMAL);
    this.socket = null;
    this.db.close();
  }

  // ---- connection ------------------------------------------------------------------------------

  private connect(): void {
    if (this.current === 'closed' || this.current === 'kicked') return;
    this.setStatus('connecting');
    const ws = new WebSocket(this.opts.wsUrl);
    this.socket = ws;
    ws.onopen = async () => {
      try {
        const token = typeof this.opts.token === 'string' ? this.opts.token : await this.opts.token();
        if (this.socket !== ws) return;
        this.cursor = Math.max(this.cursor, (await this.db.get('meta', 'cursor')) ?? 0);
        const auth = { t: 'auth', v: SDK_PROTOCOL_VERSION, token, deviceId: this.opts.deviceId, ...(this.cursor > 0 ? { cursor: this.cursor } : {}) };
        ws.send(encodeFrame(auth));
      } catch {
        ws.close();
      }
    };
    ws.onmessage = (e) => {
      if (this.socket !== ws || typeof e.data !== 'string') return;
      const decoded = decodeServerFrame(e.data);
      if (decoded.ok) this.onFrame(ws, decoded.value);
    };
    ws.onclose = (e) => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.stopTimers();
      this.failRequests('socket closed');
      if (e.code === CloseCode.KICKED || e.code === CloseCode.AUTH_FAILED) this.setStatus(e.code === CloseCode.KICKED ? 'kicked' : 'closed');
      else this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.current === 'closed' || this.current === 'kicked') return;
    this.setStatus('backoff');
    const base = this.opts.reconnectDelayMs ?? 200;
    const delay = Math.min(this.opts.maxReconnectDelayMs ?? 5_000, base * 2 ** this.attempt++);
    this.reconnectTimer = setTimeout(() => this.connect(), delay * (0.8 + 0.4 * Math.random()));
  }

  private stopTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = this.pingTimer = null;
  }

  private setStatus(s: PerTabStatus): void {
    if (this.current === s) return;
    this.current = s;
    for (const l of this.statusListeners) l(s);
  }

  private onFrame(ws: WebSocket, frame: ServerFrame): void {
    switch (frame.t) {
      case 'auth_ok':
        this.userId = frame.userId;
        this.attempt = 0;
        this.setStatus('online');
        this.pingTimer = setInterval(() => ws.send(encodeFrame({ t: 'ping', ts: Date.now() })), this.opts.pingIntervalMs ?? 20_000);
        void this.resendOutbox();
        return;
      case 'push':
        if (frame.cursor <= this.cursor) return this.ack(frame.cursor); // a resend or replay: stored already
        this.queue.push({ cursor: frame.cursor, event: frame.event });
        void this.drain();
        return;
      case 'res': {
        const p = this.requests.get(frame.id);
        if (!p) return;
        this.requests.delete(frame.id);
        clearTimeout(p.timer);
        if (frame.ok) p.resolve(frame.result);
        else p.reject(new Error(`${frame.error.code}: ${frame.error.message}`));
        return;
      }
      default:
        return; // pong, kick (the close follows), error, auth_failed (the close follows)
    }
  }

  // ---- receive: store, then ack, then tell the page ------------------------------------------------

  private async drain(): Promise<void> {
    if (this.storing) return;
    this.storing = true;
    try {
      while (this.queue.length > 0 && this.current !== 'closed') {
        const batch = this.queue;
        this.queue = [];
        const stored = await this.store(batch);
        this.ack(this.cursor);
        for (const m of stored) for (const l of this.listeners) l(m);
      }
    } catch {
      // Not stored, so not acked: the server resends it.
    } finally {
      this.storing = false;
    }
  }

  /** One transaction for a burst of pushes: the messages and the new cursor. */
  private async store(batch: { cursor: number; event: PushEvent }[]): Promise<StoredMessage[]> {
    const tx = this.db.transaction(['messages', 'meta'], 'readwrite');
    const messages = tx.objectStore('messages');
    const stored: StoredMessage[] = [];
    let high = this.cursor;
    for (const { cursor, event } of batch) {
      high = Math.max(high, cursor);
      if (event.kind !== 'message') continue;
      const m = event.message;
      const mine = m.senderId === this.userId;
      const row: StoredMessage = {
        id: m.id,
        conversationId: m.conversationId,
        senderId: m.senderId,
        text: m.content.type === 'text' ? (m.content as { text: string }).text : `[${m.content.type}]`,
        seq: m.seq,
        serverTs: m.serverTs,
        createdAt: Date.now(),
        state: mine ? 'sent' : 'received',
        order: m.seq,
      };
      void messages.put(row);
      stored.push(row);
    }
    const meta = tx.objectStore('meta');
    // Another tab may have stored further; the cursor only grows.
    const prev = (await meta.get('cursor')) ?? 0;
    if (high > prev) void meta.put(high, 'cursor');
    await tx.done;
    this.cursor = Math.max(high, prev);
    return stored;
  }

  private ack(cursor: number): void {
    if (cursor > 0 && this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeFrame({ t: 'ack', cursor }));
  }

  // ---- send: the outbox ------------------------------------------------------------------------------

  /** On every connect: send the whole queue, in order (the server stores each client id once). */
  private async resendOutbox(): Promise<void> {
    const rows = await this.db.getAll('outbox');
    rows.sort((a, b) => a.createdAt - b.createdAt);
    await Promise.all(rows.map((r) => this.sendOne(r)));
  }

  private async sendOne(row: OutboxRow): Promise<void> {
    try {
      const result = (await this.request('messages.send', {
        conversationId: row.conversationId,
        clientId: row.id,
        content: { type: 'text', text: row.text },
      })) as { message: { seq: number; serverTs: number; senderId: string } };
      const tx = this.db.transaction(['messages', 'outbox'], 'readwrite');
      const messages = tx.objectStore('messages');
      const m = await messages.get(row.id);
      if (m) void messages.put({ ...m, senderId: result.message.senderId, seq: result.message.seq, serverTs: result.message.serverTs, state: 'sent', order: result.message.seq });
      void tx.objectStore('outbox').delete(row.id);
      await tx.done;
    } catch {
      // Offline, timed out or refused: it stays in the outbox for the next connect.
    }
  }

  private request(type: string, params: unknown): Promise<unknown> {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('offline'));
    const id = `r${++this.requestSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new Error('timeout'));
      }, REQUEST_TIMEOUT_MS);
      this.requests.set(id, { resolve, reject, timer });
      ws.send(encodeFrame({ t: 'req', id, type, params }));
    });
  }

  private failRequests(why: string): void {
    for (const p of this.requests.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
    this.requests.clear();
  }
}
