/**
 * Send → server ack on loopback: one customer sends ~1 KB texts one after the other (each awaits
 * its ack), and we time each `messages.send` round trip in the client. Parley's ack means the
 * message is committed in SQLite (idempotent on its client id) and fanned out: the shop's agent is
 * online, so every send also pushes to a second socket, and the sender gets its own echo push.
 * The baseline is a bare `ws` echo server (bench/baselines/wsEcho.ts) answering the same frame
 * with the same-sized response, storing nothing. Runs alternate between the two in one process.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  checkResult,
  decodeServerFrame,
  encodeFrame,
  PROTOCOL_VERSION,
  type RequestParams,
  type RequestResult,
  type RequestType,
  type ServerFrame,
} from '../../schema';
import { connectEcho, startWsEcho } from '../baselines/wsEcho';
import { now, percentile, repeat, rotation } from '../lib/stats';
import type { BenchEnv, BenchOutcome, Benchmark, BenchServer, Figure } from '../lib/types';

const SHOP = 'parley-shop';
const AGENT = 'shop-agent';
/** The engine's ack policy (worker/engine/Engine.ts ACK_EVERY, ACK_DELAY_MS). */
const ACK_EVERY = 64;
const ACK_DELAY_MS = 50;
const TIMEOUT_MS = 10_000;

/** About 1 KB of text, different per message so nothing can be cached. */
const body = (i: number): string => `#${i} Is the walnut side table still in stock in the 60 cm size? `.padEnd(1024, 'lorem ipsum ');

/**
 * One socket speaking Parley's protocol as the engine's connection does: every frame decoded and
 * validated, results checked against their schema, pushes acked every 64 or after 50 ms. Unlike
 * the test suite's wire client it keeps no frames, so a long run does not slow itself down.
 */
class SendClient {
  /** Message pushes received (the sender's own echoes included). */
  messagePushes = 0;
  private readonly pending = new Map<string, { resolve: (f: ServerFrame) => void; reject: (e: Error) => void }>();
  /** Set when the server broke the protocol; every later call fails with it. */
  private failure: Error | null = null;
  private cursor = 0;
  private unacked = 0;
  private ackTimer: NodeJS.Timeout | null = null;
  private nextId = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.receive(data.toString()));
  }

  static async connect(url: string, token: string, deviceId: string): Promise<SendClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new SendClient(ws);
    const auth = await client.expect('auth', () => ws.send(encodeFrame({ t: 'auth', v: PROTOCOL_VERSION, token, deviceId })));
    if (auth.t !== 'auth_ok') throw new Error(`auth failed: ${JSON.stringify(auth)}`);
    return client;
  }

  async call<T extends RequestType>(type: T, params: RequestParams<T>): Promise<RequestResult<T>> {
    const id = `r${++this.nextId}`;
    const res = await this.expect(id, () => this.ws.send(encodeFrame({ t: 'req', id, type, params })));
    if (res.t !== 'res' || !res.ok) throw new Error(`${type} failed: ${JSON.stringify(res).slice(0, 300)}`);
    const checked = checkResult(type, res.result);
    if (!checked.ok) throw new Error(`${type} result violates the schema: ${checked.message}`);
    return checked.value;
  }

  /** Resolves once `messagePushes` reaches `count`. */
  async pushed(count: number): Promise<void> {
    const deadline = now() + TIMEOUT_MS;
    while (this.messagePushes < count) {
      if (now() > deadline) throw new Error(`only ${this.messagePushes} of ${count} message pushes arrived`);
      await this.ping();
    }
  }

  close(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ws.close();
  }

  private ping(): Promise<ServerFrame> {
    return this.expect('pong', () => this.ws.send(encodeFrame({ t: 'ping', ts: Date.now() })));
  }

  private expect(key: string, send: () => void): Promise<ServerFrame> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${key} in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      const settle = () => {
        clearTimeout(timer);
        this.pending.delete(key);
      };
      this.pending.set(key, {
        resolve: (f) => (settle(), resolve(f)),
        reject: (e) => (settle(), reject(e)),
      });
      send();
    });
  }

  private receive(text: string): void {
    const decoded = decodeServerFrame(text);
    if (!decoded.ok) {
      this.failure = new Error(`the server sent an invalid frame (${decoded.message}): ${text.slice(0, 200)}`);
      for (const w of [...this.pending.values()]) w.reject(this.failure);
      return;
    }
    const f = decoded.value;
    if (f.t === 'push') return this.onPush(f.cursor, f.event.kind === 'message');
    const key = f.t === 'res' ? f.id : f.t === 'auth_ok' || f.t === 'auth_failed' ? 'auth' : f.t;
    this.pending.get(key)?.resolve(f);
  }

  private onPush(cursor: number, isMessage: boolean): void {
    if (isMessage) this.messagePushes++;
    this.cursor = Math.max(this.cursor, cursor);
    if (++this.unacked >= ACK_EVERY) return this.flushAck();
    this.ackTimer ??= setTimeout(() => this.flushAck(), ACK_DELAY_MS);
  }

  private flushAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.unacked = 0;
    this.ws.send(encodeFrame({ t: 'ack', cursor: this.cursor }));
  }
}

/** Time `n` sequential calls of `send(i)`; returns every round trip in ms. */
async function timeSends(n: number, send: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await send(i);
    samples.push(now() - t0);
  }
  return samples;
}

const latency = (key: string, label: string, role: Figure['role'], runs: number[], target?: number, vs?: string): Figure => ({
  key,
  label,
  unit: 'ms',
  better: 'lower',
  role,
  runs,
  ...(target === undefined ? {} : { target: { op: '<=' as const, value: target } }),
  ...(vs === undefined ? {} : { vs }),
});

/** A customer sending to the shop, and the shop's agent receiving, on one server. */
async function parleyPair(server: BenchServer) {
  const customer = await SendClient.connect(server.wsUrl, server.token(`bench-${randomUUID().slice(0, 8)}`), 'bench-customer');
  const agent = await SendClient.connect(server.wsUrl, server.token(AGENT, { role: 'merchant', shop: SHOP }), 'bench-agent');
  const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: SHOP });
  let sent = 0;
  return {
    async send(i: number) {
      const { duplicate } = await customer.call('messages.send', { conversationId: conversation.id, clientId: randomUUID(), content: { type: 'text', text: body(i) } });
      if (duplicate) throw new Error('a fresh client id was answered as a duplicate');
      sent++;
    },
    sent: () => sent,
    /** Every acked send was pushed to both sockets. */
    delivered: () => Promise.all([customer.pushed(sent), agent.pushed(sent)]),
    close() {
      customer.close();
      agent.close();
    },
  };
}

export const ackLatency: Benchmark = {
  id: 'ack-latency',
  title: 'Send → server ack latency (loopback, 1 KB text)',
  async run(env: BenchEnv): Promise<BenchOutcome> {
    const n = env.size(2000, 50);
    const server = await env.startServer();
    // The same server without fsync at commit: what durability against power loss costs.
    const fast = await env.startServer({ sqliteSync: 'normal' });
    const echo = await startWsEcho();
    const parley = await parleyPair(server);
    const parleyNormal = await parleyPair(fast);
    const echoClient = await connectEcho(echo.url);
    try {
      const echoSend = (i: number) => echoClient.call('messages.send', { conversationId: 'c', clientId: randomUUID(), content: { type: 'text', text: body(i) } });
      const senders = { parley: parley.send, normal: parleyNormal.send, baseline: echoSend };
      type Which = keyof typeof senders;

      // Each run measures all three, rotating which goes first so drift hurts none.
      const results = await repeat(env, async (run) => {
        const order: Which[] = rotation(['parley', 'normal', 'baseline'] as const, run);
        const out = {} as Record<Which, number[]>;
        for (const which of order) out[which] = await timeSends(n, senders[which]);
        return out;
      });

      for (const [pair, srv] of [[parley, server], [parleyNormal, fast]] as const) {
        const stored = await srv.metric('parley_messages_stored_total');
        if (stored !== pair.sent()) throw new Error(`${pair.sent()} sends were acked; the server counts ${stored} stored`);
        await pair.delivered();
      }

      const pct = (which: Which, p: number) => results.map((r) => percentile(r[which], p));
      return {
        figures: [
          latency('p50', 'send → ack, p50', 'parley', pct('parley', 50), 3, 'ws-p50'),
          latency('p99', 'send → ack, p99', 'parley', pct('parley', 99), 5, 'ws-p99'),
          latency('ws-p50', 'ws echo, p50', 'baseline', pct('baseline', 50)),
          latency('ws-p99', 'ws echo, p99', 'baseline', pct('baseline', 99)),
          latency('normal-p50', 'the same server with synchronous=NORMAL (no fsync; a power loss may lose acked sends), p50', 'baseline', pct('normal', 50)),
          latency('normal-p99', 'the same server with synchronous=NORMAL, p99', 'baseline', pct('normal', 99)),
        ],
        notes: [
          `${n} sequential sends per run, ~1 KB text each; client and server in one Node process on loopback; the percentile is per run.`,
          `Parley: a customer's messages.send, group-committed in SQLite (WAL, synchronous=FULL, the default: fsynced before the ack) and acked, pushed to the shop agent's socket and echoed to the sender's; the clients validate every frame and ack pushes as the engine does. ${parley.sent()} sends acked, all stored and pushed to both sockets. Sequential sends are the worst case for group commit: each waits for its own fsync.`,
          'Baseline: a bare ws server answering each request with the same-sized JSON response; no store, no fan-out, no validation.',
        ],
      };
    } finally {
      echoClient.close();
      parley.close();
      parleyNormal.close();
      await echo.close();
      await server.stop();
      await fast.stop();
    }
  },
};
