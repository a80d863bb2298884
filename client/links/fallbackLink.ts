/**
 * Where SharedWorker is missing (Chrome for Android before 148, in-app webviews): the tabs elect a
 * leader with a Web Lock; the leader runs the engine in a dedicated Worker and serves the other
 * tabs over a BroadcastChannel. When the leader closes, its lock passes to the next tab, which
 * starts the engine and announces itself. Still exactly one socket.
 */
import * as Comlink from 'comlink';
import { ErrorCode, ParleyError } from '../../schema/errors';
import type { ConnectionState } from '../../worker/protocol';
import type { EngineEvent } from '../../worker/protocol';
import type { AttachRequest, AttachResult, EngineApi, EventMessage, Settled, TabCallbacks } from '../../worker/protocol';
import type { LiveUpdate } from '../../worker/protocol';
import { randomId, withTimeout } from '../timeout';
import { valueOrThrow, eventsOnAttach, type EngineMethod, type EngineReturn, type Link, type LinkSink } from './Link';
import { startEngineWorker } from './workers';

export interface FallbackLinkOptions {
  /** Undefined: the script beside the client (see workers.ts). */
  workerUrl: string | undefined;
  workerName: string;
  attach: AttachRequest;
  /** The encrypted engine's worker (parley-worker-encrypted.js) is started. */
  encrypted: boolean;
  callbacks: TabCallbacks;
  callTimeoutMs: number;
}

type Method = EngineMethod;
type BusMessage =
  | { t: 'call'; id: string; from: string; method: Method; args: unknown[] }
  | { t: 'reply'; id: string; to: string; value: unknown; failed?: { code: ErrorCode; message: string } }
  | { t: 'event'; event: EngineEvent }
  | { t: 'live'; id: string; update: LiveUpdate }
  | { t: 'leader'; tabId: string }
  /** A new tab asks the leader (if any) for the current state. */
  | { t: 'hello'; tabId: string };

type Role =
  | { kind: 'follower' }
  | { kind: 'leader'; worker: Worker; api: Comlink.Remote<EngineApi>; events: MessagePort };

class FallbackLink implements Link {
  private role: Role = { kind: 'follower' };
  private readonly bus: BroadcastChannel;
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private closed = false;
  private releaseLeadership: (() => void) | null = null;
  private changes = 0;
  /**
   * Settled once this tab reaches an engine: it leads one, or a leader spoke on the bus; rejected
   * when its own attach was refused first (a rejected key: connect() rejects with it). Bounded:
   * after callTimeoutMs the tab goes on as a follower (a frozen leader answers later).
   */
  readonly ready: Promise<void>;
  private reached: ((refused?: unknown) => void) | null = null;

  constructor(
    private readonly opts: FallbackLinkOptions,
    private readonly sink: LinkSink,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.reached = (refused) => {
        this.reached = null;
        if (refused === undefined) resolve();
        else reject(refused);
      };
      setTimeout(() => this.reached?.(), opts.callTimeoutMs);
    });
    this.bus = new BroadcastChannel(`parley-bus:${opts.workerName}`);
    this.bus.onmessage = (e: MessageEvent<BusMessage>) => this.onBus(e.data);
    void navigator.locks.request(`parley-leader:${opts.workerName}`, () =>
      new Promise<void>((release) => {
        this.releaseLeadership = release;
        if (this.closed) return release();
        // This tab's engine did not start: before the tab reached any engine, connect() fails with
        // it; after that (it took over from a leader that left) the client reattaches, and a
        // refused key becomes its state there.
        void this.lead().then(
          () => this.reached?.(),
          (err: unknown) => {
            release();
            if (this.reached) {
              this.reached(err);
              this.close();
            } else this.sink.onLost();
          },
        );
      }),
    );
    this.post({ t: 'hello', tabId: opts.attach.tabId });
  }

  get kind(): 'leader' | 'follower' {
    return this.role.kind;
  }

  get engineChanges(): number {
    return this.changes;
  }

  /**
   * Another engine serves us now. Calls still waiting were posted before we knew: to the leader
   * that left, or to no one between two leaders, and no answer may ever come. Fail them now with
   * DISCONNECTED, as a SharedWorker's death does, rather than at their timeout; the client makes
   * the safe ones again, and a send's outcome is unknown (it may have been stored), as there.
   */
  private engineChanged(): void {
    this.changes++;
    for (const w of this.waiting.values()) w.reject(new ParleyError(ErrorCode.DISCONNECTED, 'the leader tab changed during this call'));
    this.waiting.clear();
    this.sink.onEngineChanged();
  }

  private async lead(): Promise<void> {
    const worker = startEngineWorker(this.opts.workerUrl, this.opts.workerName, this.opts.encrypted);
    const api = Comlink.wrap<EngineApi>(worker);
    const channel = new MessageChannel();
    channel.port1.onmessage = (e: MessageEvent<EventMessage>) => {
      if (!e.data) return;
      if (e.data.kind === 'event') {
        this.sink.onEvent(e.data.event);
        this.post({ t: 'event', event: e.data.event });
      } else if (e.data.kind === 'live') {
        // Live query ids are unique per worker; each tab keeps only its own.
        this.sink.onLive(e.data.id, e.data.update);
        this.post({ t: 'live', id: e.data.id, update: e.data.update });
      }
    };
    let attached: AttachResult;
    try {
      attached = valueOrThrow(
        await withTimeout(
          api.attach(this.opts.attach, Comlink.proxy(this.opts.callbacks), Comlink.transfer(channel.port2, [channel.port2])) as Promise<Settled<AttachResult>>,
          this.opts.callTimeoutMs,
          'attach',
        ),
      );
    } catch (err) {
      worker.terminate(); // refused or silent: no engine is left running for nobody
      throw err;
    }
    this.role = { kind: 'leader', worker, api, events: channel.port1 };
    this.engineChanged();
    for (const e of eventsOnAttach(attached)) this.sink.onEvent(e);
    this.post({ t: 'leader', tabId: this.opts.attach.tabId });
  }

  private post(msg: BusMessage): void {
    if (!this.closed) this.bus.postMessage(msg);
  }

  private onBus(msg: BusMessage): void {
    if (this.closed || !msg) return;
    const me = this.opts.attach.tabId;
    switch (msg.t) {
      case 'event':
        // A leader speaks (it answers a new tab's hello with the state): there is an engine to reach.
        this.reached?.();
        if (this.role.kind === 'follower') this.sink.onEvent(msg.event);
        return;
      case 'live':
        if (this.role.kind === 'follower') this.sink.onLive(msg.id, msg.update);
        return;
      case 'leader':
        // A new leader took over: refresh our view of the connection.
        if (msg.tabId !== me) {
          this.engineChanged();
          void this.invoke('getState', [], this.opts.callTimeoutMs).then((state) => this.sink.onEvent({ type: 'state', state }), () => {});
        }
        return;
      case 'reply': {
        if (msg.to !== me) return;
        const w = this.waiting.get(msg.id);
        if (!w) return;
        this.waiting.delete(msg.id);
        if (msg.failed) w.reject(new ParleyError(msg.failed.code, msg.failed.message));
        else w.resolve(msg.value);
        return;
      }
      case 'call':
        if (this.role.kind === 'leader') void this.serve(msg);
        return;
      case 'hello':
        if (this.role.kind === 'leader') {
          void this.local('getState', []).then((state) => this.post({ t: 'event', event: { type: 'state', state: state as ConnectionState } }));
        }
        return;
    }
  }

  private async serve(msg: Extract<BusMessage, { t: 'call' }>): Promise<void> {
    try {
      const value = await this.local(msg.method, msg.args);
      this.post({ t: 'reply', id: msg.id, to: msg.from, value });
    } catch (err) {
      const failed = ParleyError.is(err) ? { code: err.code, message: err.message } : { code: ErrorCode.INTERNAL, message: String(err) };
      this.post({ t: 'reply', id: msg.id, to: msg.from, value: null, failed });
    }
  }

  /** Run a call on our own engine (leader only). */
  private local(method: Method, args: unknown[]): Promise<unknown> {
    if (this.role.kind !== 'leader') return Promise.reject(new ParleyError(ErrorCode.DISCONNECTED, 'not the leader'));
    return (this.role.api[method] as (...a: unknown[]) => Promise<unknown>)(...args);
  }

  /** Leader: call our engine. Follower: ask the leader over the bus. Bounded either way. */
  private call(method: Method, args: unknown[], ms: number): Promise<unknown> {
    if (this.role.kind === 'leader') return withTimeout(this.local(method, args), ms, method);
    const id = randomId();
    const answer = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.post({ t: 'call', id, from: this.opts.attach.tabId, method, args });
    return withTimeout(answer, ms, `${method} via the leader tab`).finally(() => this.waiting.delete(id));
  }

  invoke<M extends EngineMethod>(method: M, args: Parameters<EngineApi[M]>, timeoutMs: number): Promise<EngineReturn<M>> {
    return this.call(method, args, timeoutMs) as Promise<EngineReturn<M>>;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.values()) w.reject(new ParleyError(ErrorCode.CLOSED, 'link closed'));
    this.waiting.clear();
    if (this.role.kind === 'leader') {
      this.role.events.close();
      this.role.api[Comlink.releaseProxy]();
      this.role.worker.terminate();
    }
    this.role = { kind: 'follower' };
    this.releaseLeadership?.();
    this.bus.close();
  }
}

/** Resolves once the tab reaches an engine (see FallbackLink.ready); rejects when its own attach is refused. */
export async function openFallbackLink(opts: FallbackLinkOptions, sink: LinkSink): Promise<Link> {
  const link = new FallbackLink(opts, sink);
  await link.ready;
  return link;
}
