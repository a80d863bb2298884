/**
 * The workload and the fault schedule, drawn up front from the seed: who sends what where and when,
 * who reloads, which fault starts when and for how long. The same seed always gives the same
 * schedule; only the timing of what the engine and server do in response varies between runs.
 */
import type { Direction } from '../support/tcpProxy';
import type { UserSpec } from './device';
import { Prng } from './prng';

export const SHOP = 'parley-shop';

/** The users (all known to the server: seeded, or authenticated before any group names them). */
export const USERS: readonly UserSpec[] = [
  { id: 'alice', role: 'customer' },
  { id: 'bob', role: 'customer' },
  { id: 'carol', role: 'customer' },
  { id: 'shop-agent', role: 'merchant', shop: SHOP },
  { id: 'shop-agent-2', role: 'merchant', shop: SHOP },
  { id: 'supplier', role: 'supplier' },
  { id: 'distributor', role: 'distributor' },
];

/** Devices (one engine and database each) as `user.n`; alice and shop-agent have two. */
export const DEVICES: readonly { id: string; user: string }[] = [
  { id: 'alice.1', user: 'alice' },
  { id: 'alice.2', user: 'alice' },
  { id: 'bob.1', user: 'bob' },
  { id: 'carol.1', user: 'carol' },
  { id: 'shop-agent.1', user: 'shop-agent' },
  { id: 'shop-agent.2', user: 'shop-agent' },
  { id: 'shop-agent-2.1', user: 'shop-agent-2' },
  { id: 'supplier.1', user: 'supplier' },
  { id: 'distributor.1', user: 'distributor' },
];

/**
 * Browser devices (left out by `--node-only`): a real Chromium each, on its own profile, with `tabs` tabs of the
 * harness page sharing one SharedWorker engine (test/chaos/browser/browserDevice.ts).
 */
export const BROWSER_DEVICES: readonly { id: string; user: string; tabs: number }[] = [
  { id: 'alice.web', user: 'alice', tabs: 2 },
  { id: 'shop-agent.web', user: 'shop-agent', tabs: 2 },
];

/** Every device of a run: the Node ones, plus the browsers when asked for. */
export const devicesFor = (browsers: boolean): readonly { id: string; user: string }[] => (browsers ? [...DEVICES, ...BROWSER_DEVICES] : DEVICES);

/**
 * Conversations by key: each customer's direct conversation with the shop, and one group of the
 * supplier, the distributor and a customer, which (having a customer) the shop makes in its name.
 */
export const CONVERSATIONS: readonly { key: string; members: readonly string[]; createdBy: string }[] = [
  { key: 'direct:alice', members: ['alice', 'shop-agent', 'shop-agent-2'], createdBy: 'alice' },
  { key: 'direct:bob', members: ['bob', 'shop-agent', 'shop-agent-2'], createdBy: 'bob' },
  { key: 'direct:carol', members: ['carol', 'shop-agent', 'shop-agent-2'], createdBy: 'carol' },
  { key: 'group', members: ['supplier', 'distributor', 'alice', 'shop-agent', 'shop-agent-2'], createdBy: 'shop-agent' },
];

export const conversationsOf = (user: string): string[] => CONVERSATIONS.filter((c) => c.members.includes(user)).map((c) => c.key);

export type Fault =
  /** Destroy every connection of the targets (RST both ways). */
  | { kind: 'cut'; targets: string[] }
  /** Cut, and refuse new connections, for the episode. */
  | { kind: 'refuse'; targets: string[] }
  /**
   * A half-open link, both ways or one: sockets stay open and no byte passes. Either the link dies
   * (bytes swallowed, connections reset at the end) or it recovers (bytes held, delivered in order
   * at the end, as TCP does after retransmitting).
   */
  | { kind: 'blackhole' | 'blackhole-up' | 'blackhole-down'; targets: string[]; recovers: boolean }
  /** One-way latency on every byte for the episode. */
  | { kind: 'latency'; targets: string[]; ms: number }
  /** Streams cut into pieces of at most `bytes`, `delayMs` apart. */
  | { kind: 'slice'; targets: string[]; bytes: number; delayMs: number }
  /** Each open connection is reset after `bytes` more bytes go `direction` (mid-frame, usually). */
  | { kind: 'reset-mid-frame'; targets: string[]; bytes: number; direction: Direction }
  /** The proxy swaps `count` pairs of pushes (per target proxy). */
  | { kind: 'swap-pushes'; targets: string[]; count: number }
  /** Server hook: the next `count` send responses (messages.send and sendBatch each) are dropped after the commit. */
  | { kind: 'drop-responses'; count: number }
  /** Server hook: the next `count` pushes are sent twice. */
  | { kind: 'duplicate-pushes'; count: number }
  /** Server hook: the next `count` pushes are never sent (the client sees a seq gap). */
  | { kind: 'skip-pushes'; count: number }
  /** Server hook: requests of `type` get no response for the episode. */
  | { kind: 'never-answer'; type: string }
  /** The server is SIGKILLed at the `after`-th message store from now (see serverMain.ts), then restarted after `downMs`. */
  | { kind: 'crash-receive' | 'crash-commit'; after: number; downMs: number }
  /** The server is SIGKILLed when the `after`-th send response is due (testHooks crashOnResponse), restarted after `downMs`. */
  | { kind: 'crash-respond'; after: number; downMs: number }
  /** SIGKILL now, restart after `downMs` (on a cluster: one node). */
  | { kind: 'kill'; downMs: number }
  /** Cluster: one node SIGSTOPped for the episode (it keeps its sockets and hears nothing), then SIGCONT. */
  | { kind: 'node-pause' }
  /** Cluster: Redis shut down and started again (every subscription and publish in flight lost). */
  | { kind: 'redis-restart' }
  /** Cluster: PostgreSQL stopped with -m immediate (a crash: recovery at start) and started again. */
  | { kind: 'pg-restart' }
  /** Cluster: every database connection of the nodes terminated (pg_terminate_backend). */
  | { kind: 'pg-terminate' };

export type FaultKind = Fault['kind'];

export type Action =
  | { at: number; kind: 'send'; device: string; conversation: string; count: number }
  | { at: number; kind: 'read'; device: string; conversation: string }
  /** Close the device and open it again on the same database (see Device.close for the two ways). */
  | { at: number; kind: 'restart'; device: string; how: 'reload' | 'crash'; downMs: number }
  | { at: number; kind: 'fault'; fault: Fault; durationMs: number }
  /** A fault of one browser device (see BrowserFault). */
  | { at: number; kind: 'browser'; device: string; fault: BrowserFault };

export type BrowserFault =
  /** Close the SharedWorker (CDP Target.closeTarget): every tab must reattach to a fresh engine. */
  | { kind: 'worker-close' }
  /** Freeze one tab (CDP Page.setWebLifecycleState) while the others and the peers go on. */
  | { kind: 'freeze'; tab: number; durationMs: number }
  /** Reload one tab; the others keep the engine alive. */
  | { kind: 'tab-reload'; tab: number }
  /** Storage full: the origin's quota clamped to what it uses (CDP Storage.overrideQuotaForOrigin). */
  | { kind: 'quota'; durationMs: number };

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  /** Mean gap between two send bursts of one device, ms. */
  sendGapMs?: number;
  /** Mean gap between two reloads (of any device), ms. */
  restartGapMs?: number;
  /** Mean gap between two markRead of one device, ms. */
  readGapMs?: number;
  /** Only these kinds of fault (default: all, by their weights). */
  faults?: readonly FaultKind[];
  /** Add the browser devices, their faults and their crashes (BROWSER_DEVICES). */
  browsers?: boolean;
  /** Several nodes: their faults join the draw (CLUSTER_FAULT_WEIGHTS). */
  cluster?: boolean;
}

export const FAULT_WEIGHTS: readonly (readonly [FaultKind, number])[] = [
  ['cut', 6],
  ['refuse', 5],
  ['blackhole', 6],
  ['blackhole-up', 4],
  ['blackhole-down', 5],
  ['latency', 6],
  ['slice', 4],
  ['reset-mid-frame', 6],
  ['swap-pushes', 4],
  ['drop-responses', 6],
  ['duplicate-pushes', 4],
  ['skip-pushes', 3],
  ['never-answer', 2],
  ['crash-receive', 3],
  ['crash-commit', 4],
  ['crash-respond', 4],
  ['kill', 3],
];

/** What a cluster adds to the draw: its own parts failing. */
export const CLUSTER_FAULT_WEIGHTS: readonly (readonly [FaultKind, number])[] = [
  ['node-pause', 4],
  ['redis-restart', 3],
  ['pg-restart', 2],
  ['pg-terminate', 3],
];


/** Nothing happens in the first second: the clients settle online first. */
const WARMUP_MS = 1_000;

export function makeSchedule(opts: ScheduleOptions): Action[] {
  const root = new Prng(opts.seed);
  const streams = {
    faults: root.fork('faults'),
    restarts: root.fork('restarts'),
    devices: DEVICES.map((d) => ({ device: d, sends: root.fork(`sends:${d.id}`), reads: root.fork(`reads:${d.id}`) })),
  };
  const end = opts.durationMs;
  const actions: Action[] = [];
  const all = opts.cluster ? [...FAULT_WEIGHTS, ...CLUSTER_FAULT_WEIGHTS] : FAULT_WEIGHTS;
  const weights = opts.faults ? all.filter(([k]) => opts.faults!.includes(k)) : all;
  if (weights.length === 0) throw new Error(`no known fault among ${opts.faults?.join(', ')}`);

  const ids = devicesFor(opts.browsers ?? false).map((d) => d.id);
  for (let t = WARMUP_MS + streams.faults.int(0, 1000); t < end; ) {
    const durationMs = streams.faults.int(1_000, 5_000);
    actions.push({ at: t, kind: 'fault', fault: drawFault(streams.faults, weights, ids), durationMs: Math.min(durationMs, end - t) });
    t += durationMs + streams.faults.int(500, 2_500);
  }

  for (let t = WARMUP_MS + streams.restarts.exp(opts.restartGapMs ?? 6_000); t < end; t += streams.restarts.exp(opts.restartGapMs ?? 6_000)) {
    const device = streams.restarts.pick(DEVICES).id;
    const how = streams.restarts.chance(0.5) ? 'reload' : 'crash';
    actions.push({ at: Math.round(t), kind: 'restart', device, how, downMs: streams.restarts.int(0, 1_500) });
  }

  for (const { device, sends, reads } of streams.devices) {
    const convs = conversationsOf(device.user);
    for (let t = WARMUP_MS / 2 + sends.exp(opts.sendGapMs ?? 2_500); t < end; t += sends.exp(opts.sendGapMs ?? 2_500)) {
      const count = sends.weighted<number>([
        [1, 6],
        [sends.int(2, 3), 3],
        [sends.int(4, 8), 1],
      ]);
      actions.push({ at: Math.round(t), kind: 'send', device: device.id, conversation: sends.pick(convs), count });
    }
    for (let t = WARMUP_MS + reads.exp(opts.readGapMs ?? 4_000); t < end; t += reads.exp(opts.readGapMs ?? 4_000)) {
      actions.push({ at: Math.round(t), kind: 'read', device: device.id, conversation: reads.pick(convs) });
    }
  }
  if (opts.browsers) actions.push(...browserActions(root, end, opts));
  // Stable: by time, then by the order drawn above.
  return actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i).map(({ a }) => a);
}

/**
 * Each browser device's own stream: sends, reads, and every few seconds one of its faults. A
 * browser crash (SIGKILL, relaunch on the profile) and a closed SharedWorker land a few ms into a
 * burst of sends, so they strike while its transactions are in flight.
 */
function browserActions(root: Prng, end: number, opts: ScheduleOptions): Action[] {
  const actions: Action[] = [];
  for (const b of BROWSER_DEVICES) {
    const p = root.fork(`browser:${b.id}`);
    const convs = conversationsOf(b.user);
    for (let t = WARMUP_MS / 2 + p.exp(opts.sendGapMs ?? 2_500); t < end; t += p.exp(opts.sendGapMs ?? 2_500)) {
      actions.push({ at: Math.round(t), kind: 'send', device: b.id, conversation: p.pick(convs), count: p.weighted<number>([[1, 6], [p.int(2, 3), 3], [p.int(4, 8), 1]]) });
    }
    for (let t = WARMUP_MS + p.exp(opts.readGapMs ?? 4_000); t < end; t += p.exp(opts.readGapMs ?? 4_000)) {
      actions.push({ at: Math.round(t), kind: 'read', device: b.id, conversation: p.pick(convs) });
    }
    for (let t = WARMUP_MS + p.exp(BROWSER_FAULT_GAP_MS); t < end; t += p.exp(BROWSER_FAULT_GAP_MS)) {
      const at = Math.round(t);
      const kind = p.weighted<'crash' | 'reload' | 'worker-close' | 'freeze' | 'tab-reload' | 'quota'>([
        ['crash', 3],
        ['reload', 2],
        ['worker-close', 3],
        ['freeze', 3],
        ['tab-reload', 2],
        ['quota', 2],
      ]);
      const midBurst = (kind === 'crash' || kind === 'worker-close') && at > 10;
      if (midBurst) actions.push({ at: at - p.int(2, 10), kind: 'send', device: b.id, conversation: p.pick(convs), count: p.int(10, MAX_BURST) });
      if (kind === 'crash' || kind === 'reload') actions.push({ at, kind: 'restart', device: b.id, how: kind, downMs: p.int(0, 1_500) });
      else if (kind === 'worker-close') actions.push({ at, kind: 'browser', device: b.id, fault: { kind } });
      else if (kind === 'quota') actions.push({ at, kind: 'browser', device: b.id, fault: { kind, durationMs: p.int(1_000, 5_000) } });
      else if (kind === 'freeze') actions.push({ at, kind: 'browser', device: b.id, fault: { kind, tab: p.int(0, b.tabs - 1), durationMs: p.int(1_000, 5_000) } });
      else actions.push({ at, kind: 'browser', device: b.id, fault: { kind, tab: p.int(0, b.tabs - 1) } });
    }
  }
  return actions;
}

/**
 * The largest burst of sends the schedule draws: the one a browser crash or a closed SharedWorker
 * lands in (the others have at most 8).
 */
export const MAX_BURST = 30;

/** Mean gap between two faults of one browser device, ms. */
const BROWSER_FAULT_GAP_MS = 5_000;

function drawTargets(p: Prng, ids: readonly string[]): string[] {
  return p.weighted<() => string[]>([
    [() => [...ids], 3],
    [() => p.subset(ids), 4],
    [() => [p.pick(ids)], 3],
  ])();
}

function drawFault(p: Prng, weights: readonly (readonly [FaultKind, number])[], ids: readonly string[]): Fault {
  const kind = p.weighted(weights);
  switch (kind) {
    case 'cut':
    case 'refuse':
      return { kind, targets: drawTargets(p, ids) };
    case 'blackhole':
    case 'blackhole-up':
    case 'blackhole-down':
      return { kind, targets: drawTargets(p, ids), recovers: p.chance(0.5) };
    case 'latency':
      // Half below the 3 s request timeout, half beyond it (and beyond the heartbeat's deadline).
      return { kind, targets: drawTargets(p, ids), ms: p.chance(0.5) ? p.int(200, 1_500) : p.int(3_500, 6_000) };
    case 'slice':
      return { kind, targets: drawTargets(p, ids), bytes: p.int(1, 64), delayMs: p.int(0, 8) };
    case 'reset-mid-frame':
      return { kind, targets: drawTargets(p, ids), bytes: p.int(1, 600), direction: p.chance(0.5) ? 'up' : 'down' };
    case 'swap-pushes':
      return { kind, targets: drawTargets(p, ids), count: p.int(1, 5) };
    case 'drop-responses':
      return { kind, count: p.int(1, 3) };
    case 'duplicate-pushes':
      return { kind, count: p.int(1, 10) };
    case 'skip-pushes':
      return { kind, count: p.int(1, 3) };
    case 'never-answer':
      return { kind, type: p.pick(['messages.send', 'messages.sendBatch', 'receipts.delivered', 'messages.range']) };
    case 'crash-receive':
    case 'crash-commit':
    case 'crash-respond':
      return { kind, after: p.int(1, 6), downMs: p.int(100, 2_000) };
    case 'kill':
      return { kind, downMs: p.int(100, 2_000) };
    case 'node-pause':
    case 'redis-restart':
    case 'pg-restart':
    case 'pg-terminate':
      return { kind };
  }
}
