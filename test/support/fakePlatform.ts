/**
 * A deterministic Platform for unit tests: a manual clock whose timers fire only when the test
 * advances time, a scripted socket, and a switchable network. No test using it ever sleeps.
 */
import type { NetworkMonitor, Platform, SocketLike, TimerId } from '../../worker/platform';

export class FakeClock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now = (): number => this.t;

  setTimeout = (fn: () => void, ms: number): TimerId => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (id: TimerId): void => {
    this.timers.delete(id as number);
  };

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Advance time, firing due timers in time order (timers they schedule fire too if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }
}

export class FakeSocket implements SocketLike {
  readyState = 0; // CONNECTING
  readonly sent: string[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('socket not open');
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2; // CLOSING: a half-open peer may never finish the handshake
  }

  // ---- driven by the test ----
  serverOpen(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSend(text: string): void {
    this.onmessage?.({ data: text });
  }
  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  serverError(): void {
    this.onerror?.({});
  }
}

export class FakeNetwork implements NetworkMonitor {
  private online = true;
  private readonly listeners = new Set<(online: boolean) => void>();
  isOnline = (): boolean => this.online;
  subscribe(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(online: boolean): void {
    this.online = online;
    for (const l of this.listeners) l(online);
  }
}

export function fakePlatform() {
  const clock = new FakeClock();
  const network = new FakeNetwork();
  const sockets: FakeSocket[] = [];
  let randomValue = 0.5;
  const platform: Platform = {
    clock: { now: clock.now },
    timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    network,
    random: () => randomValue,
  };
  return {
    platform,
    clock,
    network,
    sockets,
    /** The most recently created socket. */
    get socket(): FakeSocket {
      const s = sockets.at(-1);
      if (!s) throw new Error('no socket created yet');
      return s;
    },
    setRandom(v: number) {
      randomValue = v;
    },
  };
}
