/**
 * A TCP proxy the test controls, between the browser (or a Node client) and the server. Playwright
 * cannot cut a SharedWorker's WebSocket, so faults are made here:
 * - modes: cut every connection, refuse new ones, black-hole both ways or one way (sockets stay
 *   open, bytes are swallowed: a half-open link), or stall both ways or one way (bytes are held and
 *   delivered, in order, when the mode changes again: a link that stops, then recovers, as TCP
 *   would after retransmitting). Note that going back to `forward` after a black-hole resumes a
 *   stream with bytes missing, which TCP never does; cut the connections to model a link that died;
 * - shaping: added one-way latency, and the byte stream sliced into small pieces with a delay
 *   between them (order is always kept);
 * - a reset after N more bytes on the open connections (mid-frame, as often as not);
 * - a tap per connection and direction that may rewrite the stream (hold, reorder, repeat bytes):
 *   see test/chaos/wsPushSwap.ts.
 * With none of them set, bytes are written through synchronously, as a plain proxy would.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * `blackhole` swallows both directions; `blackhole-up` only client → server, `blackhole-down` only
 * server → client. `stall*` hold the bytes instead, until the mode changes.
 */
export type ProxyMode = 'forward' | 'blackhole' | 'blackhole-up' | 'blackhole-down' | 'stall' | 'stall-up' | 'stall-down' | 'refuse';

/** `up`: client → server. `down`: server → client. */
export type Direction = 'up' | 'down';

export interface Shaping {
  /** Added one-way delay of every chunk, in ms (both directions). */
  latencyMs?: number;
  /** Cut every chunk into pieces of at most this many bytes (0 or absent: whole chunks). */
  sliceBytes?: number;
  /** Delay between two pieces of a sliced chunk, in ms. */
  sliceDelayMs?: number;
}

/**
 * Sees one direction of one connection before it is forwarded, and forwards through `emit`, now or
 * later, as it likes. Made per connection (so it can track framing from the first byte).
 */
export type Tap = (chunk: Buffer) => void;
export type TapFactory = (direction: Direction, emit: (chunk: Buffer) => void) => Tap;

/** One direction of one connection: shaping and the reset budget, in order. */
class Pipe {
  /** Pieces waiting for their time, in order; `at` never decreases along the queue. */
  private queue: { at: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Bytes still allowed before the connection is reset; null when no reset is armed. */
  resetBudget: number | null = null;
  /** Bytes held while the direction is stalled, in order. */
  private held: Buffer[] = [];

  constructor(
    private readonly to: net.Socket,
    private readonly direction: Direction,
    private readonly proxy: TcpProxy,
    private readonly reset: () => void,
  ) {}

  write(chunk: Buffer): void {
    const shaping = this.proxy.shaping;
    const latency = shaping.latencyMs ?? 0;
    const slice = shaping.sliceBytes ?? 0;
    if (latency <= 0 && slice <= 0 && this.queue.length === 0) return this.out(chunk);
    const pieces: Buffer[] = [];
    if (slice > 0) for (let i = 0; i < chunk.length; i += slice) pieces.push(chunk.subarray(i, i + slice));
    else pieces.push(chunk);
    let at = Math.max(Date.now() + latency, this.queue.at(-1)?.at ?? 0);
    for (const piece of pieces) {
      this.queue.push({ at, chunk: piece });
      at += shaping.sliceDelayMs ?? 0;
    }
    this.arm();
  }

  /**
   * One timer for the head of the queue. Separate timers per piece would not keep the order: Node
   * orders timers that fall due together by their duration's list, not by when they were made.
   */
  private arm(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      while (this.queue.length > 0 && this.queue[0]!.at <= now) this.out(this.queue.shift()!.chunk);
      this.arm();
    }, Math.max(0, this.queue[0]!.at - Date.now()));
  }

  /** Deliver what a stall held, unless the direction is still stalled. */
  release(): void {
    if (this.proxy.stalls(this.direction)) return;
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.out(chunk);
  }

  private out(chunk: Buffer): void {
    if (this.to.destroyed || this.proxy.swallows(this.direction)) return;
    if (this.proxy.stalls(this.direction) || this.held.length > 0) {
      this.held.push(chunk);
      return;
    }
    if (this.resetBudget !== null && chunk.length >= this.resetBudget) {
      if (this.resetBudget > 0) this.to.write(chunk.subarray(0, this.resetBudget));
      // Let the partial write reach the kernel before the reset.
      this.resetBudget = 0;
      setImmediate(this.reset);
      return;
    }
    if (this.resetBudget !== null) this.resetBudget -= chunk.length;
    this.to.write(chunk);
  }
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  up: Pipe;
  down: Pipe;
}

export class TcpProxy {
  private server: net.Server;
  private readonly pairs = new Set<Pair>();
  private mode: ProxyMode = 'forward';
  /** Current shaping; read by every pipe at each chunk. */
  shaping: Shaping = {};
  private tap: TapFactory | null = null;
  port = 0;
  /** Connections accepted over the proxy's life (refused ones excluded). */
  accepted = 0;

  constructor(private readonly targetPort: number, private readonly targetHost = '127.0.0.1') {
    this.server = net.createServer((client) => this.onClient(client));
  }

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** Connections accepted so far that are still open. */
  get openConnections(): number {
    return this.pairs.size;
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'refuse') this.cutAll();
    for (const p of this.pairs) {
      p.up.release();
      p.down.release();
    }
  }

  /** True when bytes going `direction` are swallowed in the current mode. */
  swallows(direction: Direction): boolean {
    return this.mode === 'blackhole' || this.mode === `blackhole-${direction}`;
  }

  /** True when bytes going `direction` are held in the current mode. */
  stalls(direction: Direction): boolean {
    return this.mode === 'stall' || this.mode === `stall-${direction}`;
  }

  /** Latency and slicing for every byte from now on (pieces already scheduled keep their time). `{}` clears. */
  shape(shaping: Shaping): void {
    this.shaping = { ...shaping };
  }

  /**
   * Reset (destroy, RST to both ends) each open connection once `bytes` more bytes went `direction`:
   * the last write is cut short, so the peer usually sees half a frame. New connections are not affected.
   */
  resetAfter(bytes: number, direction: Direction): void {
    for (const p of this.pairs) p[direction].resetBudget = Math.max(0, bytes);
  }

  /** Rewrite the byte streams of connections opened from now on (null: plain forwarding). */
  setTap(tap: TapFactory | null): void {
    this.tap = tap;
  }

  /** Back to a plain proxy: forward mode (held bytes delivered), no shaping, no armed resets. Open connections stay open. */
  heal(): void {
    this.shaping = {};
    for (const p of this.pairs) p.up.resetBudget = p.down.resetBudget = null;
    this.setMode('forward');
  }

  /** Destroy every open connection (RST to both ends). */
  cutAll(): void {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
  }

  private onClient(client: net.Socket): void {
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = net.connect(this.targetPort, this.targetHost);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    const pair: Pair = {
      client,
      upstream,
      up: new Pipe(upstream, 'up', this, drop),
      down: new Pipe(client, 'down', this, drop),
    };
    this.pairs.add(pair);
    const forward = (from: net.Socket, pipe: Pipe, direction: Direction) => {
      const tap = this.tap?.(direction, (chunk) => pipe.write(chunk));
      from.on('data', (chunk: Buffer) => (tap ? tap(chunk) : pipe.write(chunk)));
    };
    forward(client, pair.up, 'up');
    forward(upstream, pair.down, 'down');
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
