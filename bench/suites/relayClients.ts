/**
 * The relay benchmark's clients (bench/suites/relay.ts), run in a worker thread so the server's
 * figure is not shared with its clients' CPU: 32 members of one group on Parley and the same 32 on
 * the plain relay, each keeping WINDOW sends outstanding and accounting for every message it
 * receives. They do the least work that still checks delivery (they find the message id in the
 * frame text instead of decoding and validating it) and ack pushes as the engine does (every 64,
 * or 50 ms after the first unacked one).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { decodeServerFrame, encodeFrame, PROTOCOL_VERSION, type ServerFrame } from '../../schema';
import { now } from '../lib/stats';

export const MEMBERS = 32;
/** Sends each member keeps outstanding (sent, not yet answered by the server). */
export const WINDOW = 16;
/** The engine's ack policy (worker/engine/Engine.ts ACK_EVERY, ACK_DELAY_MS). */
const ACK_EVERY = 64;
const ACK_DELAY_MS = 50;
/** A run fails when nothing arrives for this long. */
const STALL_MS = 20_000;
const TEXT = 'Supplier update: the walnut side tables ship Monday, 40 units, pallet 3 of 5. '.padEnd(1024, 'lorem ipsum ');
const WORKER_KIND = 'parley-bench-relay-clients';

export type Which = 'parley' | 'baseline';

/**
 * CPU time this thread has used, in ms (Linux: /proc/thread-self/stat, 10 ms ticks); NaN elsewhere.
 * Less sensitive than wall time to other processes competing for the cores.
 */
export function threadCpuMs(): number {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in USER_HZ (100/s)
  } catch {
    return NaN;
  }
}

/** How a client speaks to a server: Parley's superjson envelope and acks, or plain JSON. */
interface Dialect {
  /** Wrap the JSON of a frame for the wire. */
  wrap(json: string): string;
  /** Where the frame's `"t":` key starts in a server frame's text. */
  tAt: number;
  acks: boolean;
}

// A plain-JSON value's superjson encoding is `{"json":<value>}` (no meta): the server decodes it
// as any client's. Encoding it by hand keeps the clients' cost the same as the baseline's.
const PARLEY: Dialect = { wrap: (json) => `{"json":${json}}`, tAt: '{"json":{'.length, acks: true };
const PLAIN: Dialect = { wrap: (json) => json, tAt: 1, acks: false };

/**
 * The client id carries (sender, run, k) so a receiver can account for every message from the
 * frame text alone: `ssssssss-rrrr-4000-8000-kkkkkkkkkkkk` (a valid UUID).
 */
const clientId = (sender: number, run: number, k: number): string =>
  `${sender.toString(16).padStart(8, '0')}-${run.toString(16).padStart(4, '0')}-4000-8000-${k.toString(16).padStart(12, '0')}`;
const ID_MARK = '"message":{"id":"';

/** One run's bookkeeping, shared by its clients (one per member). */
class RunState {
  /** seen[(receiver * members + sender) * perSender + k]: times that message reached that receiver. */
  readonly seen: Uint8Array;
  /** Deliveries and responses still to come. */
  remaining: number;
  duplicates = 0;
  /** Pushes whose cursor did not grow: the server went back to resend. */
  rewinds = 0;
  failures: string[] = [];
  lastProgressAt = now();
  endedAt = 0;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.done = resolve));

  constructor(
    readonly run: number,
    readonly members: number,
    readonly perSender: number,
    readonly conversationId: string,
    echoes: boolean,
  ) {
    this.seen = new Uint8Array(members * members * perSender);
    const deliveries = members * (members - 1) * perSender + (echoes ? members * perSender : 0);
    this.remaining = deliveries + members * perSender;
  }

  progress(): void {
    this.lastProgressAt = now();
    if (--this.remaining === 0) {
      this.endedAt = now();
      this.done();
    }
  }
}

class RelayClient {
  private readonly ws: WebSocket;
  readonly opened: Promise<void>;
  private state: RunState | null = null;
  private sent = 0;
  private lastCursor = 0;
  private unacked = 0;
  private ackTimer: NodeJS.Timeout | null = null;
  private readonly setup = new Map<string, (f: ServerFrame) => void>();

  constructor(
    url: string,
    readonly index: number,
    private readonly dialect: Dialect,
    auth?: { token: string; deviceId: string },
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.once('open', () => {
        if (!auth) return resolve();
        this.setup.set('auth', (f) => (f.t === 'auth_ok' ? resolve() : reject(new Error(`auth failed: ${JSON.stringify(f)}`))));
        this.ws.send(encodeFrame({ t: 'auth', v: PROTOCOL_VERSION, token: auth.token, deviceId: auth.deviceId }));
      });
    });
    this.ws.on('message', (data: Buffer) => this.receive(data.toString()));
  }

  /** A request outside a run (setup), its response decoded and validated. */
  request(type: string, params: unknown): Promise<ServerFrame> {
    const id = `s${randomUUID().slice(0, 8)}`;
    return new Promise((resolve) => {
      this.setup.set(id, resolve);
      this.ws.send(encodeFrame({ t: 'req', id, type, params }));
    });
  }

  start(state: RunState): void {
    this.state = state;
    this.sent = 0;
    for (let i = 0; i < WINDOW && i < state.perSender; i++) this.sendNext();
  }

  /**
   * Ack what is pending now and wait for a pong: the server handles a socket's frames in order, so
   * after it every ack was recorded and nothing is left in flight to this client.
   */
  settle(): Promise<void> {
    if (!this.dialect.acks) return Promise.resolve();
    if (this.unacked > 0) this.flushAck();
    return new Promise((resolve) => {
      this.setup.set('pong', () => resolve());
      this.ws.send(encodeFrame({ t: 'ping', ts: Date.now() }));
    });
  }

  close(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ws.close();
  }

  private sendNext(): void {
    const s = this.state!;
    const k = this.sent++;
    const params = { conversationId: s.conversationId, clientId: clientId(this.index, s.run, k), content: { type: 'text', text: TEXT } };
    this.ws.send(this.dialect.wrap(JSON.stringify({ t: 'req', id: `m${k}`, type: 'messages.send', params })));
  }

  private receive(text: string): void {
    const t = this.dialect.tAt;
    if (text.startsWith('"t":"push"', t)) return this.onPush(text);
    if (text.startsWith('"t":"res","id":"m', t)) return this.onResponse(text);
    // Setup traffic (auth_ok, responses to `request`), decoded properly.
    const decoded = decodeServerFrame(text);
    if (!decoded.ok) throw new Error(`bad frame from the server: ${decoded.message}`);
    const f = decoded.value;
    const key = f.t === 'auth_ok' || f.t === 'auth_failed' ? 'auth' : f.t === 'res' ? f.id : f.t === 'pong' ? 'pong' : '';
    const waiter = this.setup.get(key);
    if (!waiter) return;
    this.setup.delete(key);
    waiter(f);
  }

  private onResponse(text: string): void {
    const s = this.state;
    if (!s) return;
    if (!text.includes('"ok":true')) s.failures.push(text.slice(0, 300));
    s.progress();
    if (this.sent < s.perSender) this.sendNext();
  }

  private onPush(text: string): void {
    if (this.dialect.acks) this.noteCursor(text);
    const s = this.state;
    const at = text.indexOf(ID_MARK);
    if (!s || at < 0) return;
    const id = text.substr(at + ID_MARK.length, 36);
    if (parseInt(id.slice(9, 13), 16) !== s.run) return; // an earlier run's message
    const slot = (this.index * s.members + parseInt(id.slice(0, 8), 16)) * s.perSender + parseInt(id.slice(24), 16);
    const times = s.seen[slot]!;
    s.seen[slot] = times + 1;
    if (times > 0) s.duplicates++;
    else s.progress();
  }

  /** Note when the push cursor goes back (a resend), and ack it as the engine would. */
  private noteCursor(text: string): void {
    const at = text.indexOf('"cursor":') + '"cursor":'.length;
    const cursor = parseInt(text.slice(at, text.indexOf(',', at)), 10);
    if (cursor <= this.lastCursor && this.state) this.state.rewinds++;
    this.lastCursor = Math.max(this.lastCursor, cursor);
    if (++this.unacked >= ACK_EVERY) return this.flushAck();
    this.ackTimer ??= setTimeout(() => this.flushAck(), ACK_DELAY_MS);
  }

  private flushAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.unacked = 0;
    this.ws.send(`{"json":{"t":"ack","cursor":${this.lastCursor}}}`);
  }
}

export interface RelaySetup {
  /** The Parley server, or several nodes: member i connects to the (i mod n)-th. */
  parleyUrl: string | string[];
  plainUrl: string;
  users: string[];
  tokens: string[];
  perSender: number;
}
type ToWorker = { cmd: 'run'; which: Which; run: number } | { cmd: 'close' };
export type RunReport = { which: Which; ms: number; duplicates: number; rewinds: number; clientBusy: number; clientCpuMs: number };
type FromWorker = { type: 'ready'; conversationId: string } | { type: 'done'; report: RunReport } | { type: 'failed'; message: string };

/** One run on one set of clients: its wall time in ms, or what went wrong. */
async function measure(clients: RelayClient[], state: RunState): Promise<number> {
  const t0 = now();
  for (const c of clients) c.start(state);
  await new Promise<void>((resolve, reject) => {
    const watch = setInterval(() => {
      if (now() - state.lastProgressAt > STALL_MS) state.failures.push(`stalled with ${state.remaining} deliveries and responses missing`);
      if (state.failures.length === 0) return;
      clearInterval(watch);
      reject(new Error(`relay run ${state.run} failed: ${state.failures.slice(0, 3).join('; ')}`));
    }, 100);
    void state.finished.then(() => {
      clearInterval(watch);
      resolve();
    });
  });
  return state.endedAt - t0;
}

async function clientWorker(setup: RelaySetup): Promise<void> {
  const port = parentPort!;
  const post = (m: FromWorker) => port.postMessage(m);
  const urls = typeof setup.parleyUrl === 'string' ? [setup.parleyUrl] : setup.parleyUrl;
  const parley = setup.users.map((u, i) => new RelayClient(urls[i % urls.length]!, i, PARLEY, { token: setup.tokens[i]!, deviceId: `dev-${u}` }));
  const plain = setup.users.map((u, i) => new RelayClient(`${setup.plainUrl}?user=${u}`, i, PLAIN));
  try {
    // Authenticating is what makes a user known, so everyone connects before the group is made.
    await Promise.all([...parley, ...plain].map((c) => c.opened));
    const created = await parley[0]!.request('conversations.create', { kind: 'group', title: 'relay bench', memberIds: setup.users.slice(1) });
    if (created.t !== 'res' || !created.ok) throw new Error(`could not create the group: ${JSON.stringify(created)}`);
    const conversationId = (created.result as { conversation: { id: string } }).conversation.id;
    port.on('message', (m: ToWorker) => {
      if (m.cmd === 'close') {
        for (const c of [...parley, ...plain]) c.close();
        port.close();
        return;
      }
      const state = new RunState(m.run, setup.users.length, setup.perSender, conversationId, m.which === 'parley');
      const elu = performance.eventLoopUtilization();
      const cpu = threadCpuMs();
      const clients = m.which === 'parley' ? parley : plain;
      measure(clients, state).then(
        async (ms) => {
          const { duplicates, rewinds } = state;
          const clientBusy = performance.eventLoopUtilization(elu).utilization;
          const clientCpuMs = threadCpuMs() - cpu;
          // Leave the server idle for the next run, which may be the other server's.
          await Promise.all(clients.map((c) => c.settle()));
          post({ type: 'done', report: { which: m.which, ms, duplicates, rewinds, clientBusy, clientCpuMs } });
        },
        (err: Error) => post({ type: 'failed', message: err.message }),
      );
    });
    post({ type: 'ready', conversationId });
  } catch (err) {
    post({ type: 'failed', message: (err as Error).message });
  }
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === WORKER_KIND) void clientWorker(workerData as RelaySetup);

/**
 * Start the clients' thread: 32 Parley clients and 32 plain ones, connected and authenticated, the
 * group made. The thread loads this file through tsx, as the harness itself is run.
 */
export function startRelayClients(setup: RelaySetup) {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { kind: WORKER_KIND, ...setup } });
  let waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  const fail = (e: Error) => waiting?.reject(e);
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the relay clients' thread exited (${code})`)));
  worker.on('message', (m: FromWorker) => (m.type === 'failed' ? fail(new Error(m.message)) : waiting?.resolve(m)));
  const next = () => new Promise<FromWorker>((resolve, reject) => (waiting = { resolve, reject }));
  const ready = next();
  // Runs end on their own (a stalled run fails after STALL_MS); connecting might not.
  const setupTimer = setTimeout(() => fail(new Error(`the relay clients were not ready after ${STALL_MS} ms`)), STALL_MS);
  return {
    ready: ready.then((m) => {
      clearTimeout(setupTimer);
      return (m as Extract<FromWorker, { type: 'ready' }>).conversationId;
    }),
    async run(which: Which, run: number): Promise<RunReport> {
      const reply = next();
      worker.postMessage({ cmd: 'run', which, run } satisfies ToWorker);
      return ((await reply) as Extract<FromWorker, { type: 'done' }>).report;
    },
    async close(): Promise<void> {
      clearTimeout(setupTimer);
      worker.removeAllListeners('exit');
      worker.postMessage({ cmd: 'close' } satisfies ToWorker);
      await worker.terminate();
    },
  };
}
