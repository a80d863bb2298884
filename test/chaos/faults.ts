/**
 * The nemesis: starts each fault episode of the schedule on the devices' proxies or the server,
 * ends it when its time is up, restarts the server after each death (a crash point, a hook, a
 * kill) on the same data dir and port, and heals everything at the end of the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TcpProxy } from '../support/tcpProxy';
import { DEVICES, type Fault, type FaultKind } from './schedule';
import type { ChaosCluster } from './cluster';
import { FenceProbe } from './fenceProbe';
import type { ChaosBackend, CrashPoint } from './serverProcess';
import type { SwapControl } from './wsPushSwap';

/** Per device: its proxy and the proxy's push-swap control. */
export interface Link {
  proxy: TcpProxy;
  swap: SwapControl;
}

/** Faults that act through the server (its hooks, a crash point, a kill): they need it up. */
const THROUGH_SERVER: ReadonlySet<FaultKind> = new Set([
  'drop-responses',
  'duplicate-pushes',
  'skip-pushes',
  'never-answer',
  'crash-receive',
  'crash-commit',
  'crash-respond',
  'kill',
]);

export class Nemesis {
  /** Episodes applied, by kind: a fault the server could not take (down, or refused its hook) is not counted. */
  readonly counts: Partial<Record<FaultKind, number>> = {};
  readonly log: string[] = [];
  /** Server deaths by cause: the crash point that fired, `kill`, or `unexpected (...)`. */
  readonly serverDeaths: Record<string, number> = {};
  /** Episodes whose end has not run yet. */
  private readonly episodes = new Map<NodeJS.Timeout, () => Promise<void>>();
  /**
   * Set while a crash point is armed: what to call the death, the downtime before the restart, and
   * `over` (resolved once it fired or was disarmed).
   */
  private armed: { cause: string; downMs: number; over: Promise<void>; end: () => void } | null = null;
  private restarting: Promise<void> = Promise.resolve();
  /** Faults that act through the server, one after another (see start). */
  private serverTurns: Promise<void> = Promise.resolve();
  private healing = false;
  /** A cluster's node pauses each try a write from a superseded session on the paused node. */
  readonly fenceProbe: FenceProbe;

  constructor(
    private readonly server: ChaosBackend,
    private readonly links: ReadonlyMap<string, Link>,
    /** Time since the schedule started, for log lines. */
    private readonly at: () => string,
    private readonly print: (line: string) => void,
  ) {
    this.fenceProbe = new FenceProbe(print);
  }

  /** Pushes the proxies swapped so far. */
  get swapped(): number {
    return [...this.links.values()].reduce((n, l) => n + l.swap.made, 0);
  }

  /**
   * Start an episode; it ends by itself after `durationMs`. A fault that acts through the server
   * takes its turn after the previous one: after its crash point fired (a crash point stays armed
   * until it does) and after the restart that followed, as a browser fault waits for a relaunch.
   * Skipping it, or disarming a crash point before traffic came back, would make the run's faults
   * depend on how long restarts and reconnects take on a busy machine.
   */
  start(fault: Fault, durationMs: number): Promise<void> {
    if (!THROUGH_SERVER.has(fault.kind)) return this.begin(fault, durationMs);
    const turn = this.serverTurns.then(async () => {
      while (this.armed) await this.armed.over;
      await this.restarting;
      await this.begin(fault, durationMs);
    });
    this.serverTurns = turn.catch(() => {});
    return turn;
  }

  private async begin(fault: Fault, durationMs: number): Promise<void> {
    // The schedule ended while it waited: everything is being healed.
    if (this.healing) return;
    const line = `${this.at()} ${describeFault(fault)} for ${durationMs} ms`;
    this.log.push(line);
    this.print(line);
    const end = await this.apply(fault);
    if (!end) {
      this.print(`${this.at()} ${fault.kind}: not applied (the server was down or refused the hook)`);
      return;
    }
    this.counts[fault.kind] = (this.counts[fault.kind] ?? 0) + 1;
    const timer = setTimeout(() => {
      this.episodes.delete(timer);
      void end().catch((err: unknown) => this.print(`healing ${fault.kind} failed: ${String(err)}`));
    }, durationMs);
    this.episodes.set(timer, end);
  }

  /** The server exited without being asked to: a crash point or hook fired. */
  onCrash(detail: string): void {
    this.died(this.armed?.cause ?? `unexpected (${detail})`, this.armed?.downMs ?? 500);
  }

  /** End every episode, heal every link, disarm, and have the server up with its hooks reset. */
  async healAll(): Promise<void> {
    this.healing = true;
    for (const [timer, end] of this.episodes) {
      clearTimeout(timer);
      await end().catch(() => {});
    }
    this.episodes.clear();
    for (const { proxy, swap } of this.links.values()) {
      proxy.heal();
      swap.wanted = 0;
    }
    this.disarm();
    await this.restarting;
    if (!this.server.up) await this.server.start();
    await this.server.hooks({ reset: true });
  }

  /** Stop: no more episodes, and no restart left running. */
  async close(): Promise<void> {
    this.healing = true;
    this.unarm();
    for (const timer of this.episodes.keys()) clearTimeout(timer);
    this.episodes.clear();
    await this.restarting;
  }

  private proxies(targets: readonly string[]): TcpProxy[] {
    return targets.map((t) => this.links.get(t)!.proxy);
  }

  /** Start `fault`; returns what ends it, or null when it could not be applied. */
  private async apply(fault: Fault): Promise<(() => Promise<void>) | null> {
    const resetHooks = async () => void (await this.server.hooks({ reset: true }));
    switch (fault.kind) {
      case 'cut':
        for (const p of this.proxies(fault.targets)) p.cutAll();
        return async () => {};
      case 'refuse': {
        const proxies = this.proxies(fault.targets);
        for (const p of proxies) p.setMode('refuse');
        return async () => {
          for (const p of proxies) p.setMode('forward');
        };
      }
      case 'blackhole':
      case 'blackhole-up':
      case 'blackhole-down': {
        const proxies = this.proxies(fault.targets);
        const mode = fault.recovers ? (fault.kind.replace('blackhole', 'stall') as 'stall' | 'stall-up' | 'stall-down') : fault.kind;
        for (const p of proxies) p.setMode(mode);
        return async () => {
          for (const p of proxies) {
            // A dead link is reset before the mode changes: nothing swallowed is ever followed by later bytes.
            if (!fault.recovers) p.cutAll();
            p.setMode('forward');
          }
        };
      }
      case 'latency':
      case 'slice': {
        const proxies = this.proxies(fault.targets);
        const shaping = fault.kind === 'latency' ? { latencyMs: fault.ms } : { sliceBytes: fault.bytes, sliceDelayMs: fault.delayMs };
        for (const p of proxies) p.shape(shaping);
        return async () => {
          for (const p of proxies) p.shape({});
        };
      }
      case 'reset-mid-frame': {
        const proxies = this.proxies(fault.targets);
        for (const p of proxies) p.resetAfter(fault.bytes, fault.direction);
        return async () => {
          for (const p of proxies) p.heal();
        };
      }
      case 'swap-pushes': {
        const swaps = fault.targets.map((t) => this.links.get(t)!.swap);
        for (const s of swaps) s.wanted += fault.count;
        return async () => {
          for (const s of swaps) s.wanted = 0;
        };
      }
      case 'drop-responses': {
        const send = await this.server.hooks({ dropResponses: { type: 'messages.send', count: fault.count } });
        const batch = await this.server.hooks({ dropResponses: { type: 'messages.sendBatch', count: fault.count } });
        return send && batch ? resetHooks : this.undo(resetHooks);
      }
      case 'duplicate-pushes':
        return (await this.server.hooks({ duplicatePushes: fault.count })) ? resetHooks : null;
      case 'skip-pushes':
        return (await this.server.hooks({ skipPushes: fault.count })) ? resetHooks : null;
      case 'never-answer':
        return (await this.server.hooks({ neverAnswer: fault.type })) ? resetHooks : null;
      // A crash point outlives its episode: it fires at its `after`-th store or response, whenever
      // that comes (healing disarms it).
      case 'crash-receive':
      case 'crash-commit': {
        const point: CrashPoint = fault.kind === 'crash-receive' ? 'receive' : 'commit';
        if (!this.server.armCrash(point, fault.after)) return null;
        this.arm(fault.kind, fault.downMs);
        return async () => {};
      }
      case 'crash-respond': {
        // Armed here first: the server may die on a response while the second hook is still being
        // set, and then the first hook applied the fault.
        const deathsBefore = this.serverDeaths[fault.kind] ?? 0;
        this.arm(fault.kind, fault.downMs);
        const armed = await Promise.all(
          ['messages.send', 'messages.sendBatch'].map((type) => this.server.hooks({ crashOnResponse: { type, count: fault.after } })),
        );
        if ((this.serverDeaths[fault.kind] ?? 0) > deathsBefore) return async () => {};
        if (!armed.every(Boolean)) {
          this.unarm();
          return this.undo(resetHooks);
        }
        return async () => {};
      }
      case 'kill':
        // One node of a cluster may go while another is still down; a single server must be up.
        if (!(this.cluster()?.anyUp ?? this.server.up)) return null;
        await this.server.kill9();
        this.died('kill', fault.downMs);
        return async () => {};
      case 'node-pause': {
        const resume = (await this.cluster()?.pauseOne(this.fenceProbe)) ?? null;
        return resume ? async () => resume() : null;
      }
      case 'redis-restart':
        await this.cluster()?.restartRedis();
        return this.cluster() ? async () => {} : null;
      case 'pg-restart':
        await this.cluster()?.restartPostgres();
        return this.cluster() ? async () => {} : null;
      case 'pg-terminate':
        await this.cluster()?.terminateConnections();
        return this.cluster() ? async () => {} : null;
    }
  }

  /** The cluster, when the server side is one (its faults do nothing otherwise). */
  private cluster(): ChaosCluster | null {
    return 'pauseOne' in this.server ? (this.server as ChaosCluster) : null;
  }

  /** A fault applied only in part (one of its two hooks) is taken back: not applied, and nothing of it left armed. */
  private async undo(reset: () => Promise<void>): Promise<null> {
    await reset().catch(() => {});
    return null;
  }

  private arm(cause: string, downMs: number): void {
    let end!: () => void;
    const over = new Promise<void>((resolve) => (end = resolve));
    this.armed = { cause, downMs, over, end };
  }

  /** No crash point armed any more; whoever waits for it goes on. */
  private unarm(): void {
    this.armed?.end();
    this.armed = null;
  }

  private disarm(): void {
    this.unarm();
    this.server.disarm();
  }

  private died(cause: string, downMs: number): void {
    this.serverDeaths[cause] = (this.serverDeaths[cause] ?? 0) + 1;
    this.print(`${this.at()} server died: ${cause}; back in ${downMs} ms`);
    // The restart first: a fault waiting for this crash point waits for the restart next.
    this.restarting = this.restarting
      .then(async () => {
        if (!this.healing) await sleep(downMs);
        await this.server.start();
      })
      .catch((err: unknown) => this.print(`server restart failed: ${String(err)}`));
    this.unarm();
  }
}

export function describeFault(f: Fault): string {
  const targets = 'targets' in f ? ` [${f.targets.length === DEVICES.length ? 'all' : f.targets.join(' ')}]` : '';
  const { kind, ...rest } = f;
  const params = Object.entries(rest)
    .filter(([k]) => k !== 'targets')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `${kind}${params ? ` ${params}` : ''}${targets}`;
}
