/**
 * The chaos run's cluster: three server nodes (ChaosServer children on PostgreSQL and Redis, one
 * schema of the test database) behind a round-robin load balancer, which is what the devices'
 * proxies reach. The nemesis's server faults go to one node at a time (each fault picks the next
 * one): a kill or a crash point takes down that node, the others serve on. Its cluster faults:
 * pausing a node (SIGSTOP for the episode), restarting Redis, restarting PostgreSQL the hard way
 * (`pg_ctl -m immediate`), and terminating every database connection of the nodes.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { LoadBalancer } from '../support/loadBalancer';
import type { FenceProbe } from './fenceProbe';
import { ChaosServer, type ChaosBackend, type ChaosServerOptions, type CrashPoint } from './serverProcess';

const run = promisify(execFile);
const SERVICES = path.resolve(import.meta.dirname, '../../scripts/services.sh');

export interface ClusterServices {
  databaseUrl: string;
  redisUrl: string;
  /** The directory scripts/services.sh started them in (for the restarts). */
  servicesDir: string;
}

export class ChaosCluster implements ChaosBackend {
  readonly nodes: ChaosServer[];
  private readonly lb: LoadBalancer;
  private next = 0;
  /** The node a crash point or a crash-on-response hook was given to: one node dies of it, not all. */
  private crashNode: ChaosServer | null = null;

  constructor(
    private readonly services: ClusterServices,
    readonly schema: string,
    options: ChaosServerOptions & { nodes: number },
  ) {
    const env = { CHAOS_DATABASE_URL: services.databaseUrl, CHAOS_DATABASE_SCHEMA: schema, CHAOS_REDIS_URL: services.redisUrl };
    this.nodes = Array.from({ length: options.nodes }, (_, i) => new ChaosServer({ ...options, dataDir: path.join(options.dataDir, `node${i}`), env }));
    this.lb = new LoadBalancer([]);
  }

  get up(): boolean {
    return this.nodes.every((n) => n.up);
  }

  get port(): number {
    return this.lb.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get starts(): number {
    return this.nodes.reduce((sum, n) => sum + n.starts, 0);
  }

  /** Start the nodes that are down (one at a time: the first migrates), and the balancer the first time. */
  async start(): Promise<void> {
    for (const n of this.nodes) await n.start();
    this.lb.setBackends(this.nodes.map((n) => n.port));
    if (!this.listening) {
      await this.lb.start();
      this.listening = true;
    }
  }
  private listening = false;

  /** The next node that is up (round-robin), which the next server fault goes to; null when all are down. */
  private pick(): ChaosServer | null {
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[this.next++ % this.nodes.length]!;
      if (node.up) return node;
    }
    return null;
  }

  /** Whether a node can be killed or paused now: one is up. */
  get anyUp(): boolean {
    return this.nodes.some((n) => n.up);
  }

  async kill9(): Promise<void> {
    await this.pick()?.kill9();
  }

  /** SIGKILL every node and close the balancer (the run's teardown). */
  async killAll(): Promise<void> {
    for (const n of this.nodes) n.resume();
    await Promise.all(this.nodes.map((n) => n.kill9()));
    if (this.listening) await this.lb.close();
    this.listening = false;
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.resume();
    await Promise.all(this.nodes.map((n) => n.stop()));
    if (this.listening) await this.lb.close();
    this.listening = false;
  }

  armCrash(point: CrashPoint, after: number): boolean {
    this.crashNode = this.pick();
    return this.crashNode?.armCrash(point, after) ?? false;
  }

  disarm(): void {
    for (const n of this.nodes) n.disarm();
    this.crashNode = null;
  }

  /**
   * The hooks go to every node that is up (a dropped response or a duplicated push, whichever node
   * the device is on), except a crash on response: one node, as a crash point.
   */
  async hooks(body: Record<string, unknown>): Promise<boolean> {
    if ('crashOnResponse' in body) {
      this.crashNode ??= this.pick();
      return (await this.crashNode?.hooks(body)) ?? false;
    }
    if (body.reset === true) this.crashNode = null;
    const up = this.nodes.filter((n) => n.up);
    const done = await Promise.all(up.map((n) => n.hooks(body)));
    return up.length > 0 && done.every(Boolean);
  }

  /**
   * Session slots (a user's device: the chaos run's policy is 'multi') held by more than one live
   * session across the nodes; null when a node did not answer.
   */
  async doubledSessions(): Promise<string[] | null> {
    const held = await Promise.all(this.nodes.map((n) => n.sessions()));
    if (held.some((h) => h === null)) return null;
    const count = new Map<string, number>();
    for (const s of held.flat()) {
      const slot = `${s!.userId}/${s!.deviceId}`;
      count.set(slot, (count.get(slot) ?? 0) + 1);
    }
    return [...count].filter(([, n]) => n > 1).map(([slot, n]) => `${slot} ×${n}`);
  }

  output(): string {
    return this.nodes.map((n, i) => `--- node ${i}\n${n.output()}`).join('\n');
  }

  /**
   * SIGSTOP one node; resolves with what resumes it (null: it was down). With a probe, a session on
   * that node is superseded on another while it is stopped, and writes (fenceProbe.ts).
   */
  async pauseOne(probe?: FenceProbe): Promise<(() => void) | null> {
    const node = this.pick();
    if (!node) return null;
    const stale = probe ? await probe.before(node.port) : null;
    if (!node.pause()) {
      stale?.resumed();
      return null;
    }
    const other = this.nodes.find((n) => n !== node && n.up);
    if (stale && other) await stale.supersede(other.port);
    return () => {
      node.resume();
      stale?.resumed();
    };
  }

  /** Conversations of superseded probes on the server: writes accepted from fenced sessions (fenceProbe.ts). */
  async acceptedFencedWrites(probeUsers: readonly string[]): Promise<number> {
    const client = new pg.Client({ connectionString: this.services.databaseUrl, options: `-c search_path=${this.schema}` });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM conversations WHERE customer_id = ANY($1::text[])', [probeUsers]);
      return Number(rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  /** Each node's base URL, by index. */
  get nodeUrls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** The next node that is up for a probe's request (its own turn, apart from the faults'): its URL and index. */
  nextUp(): { url: string; index: number } | null {
    for (let i = 0; i < this.nodes.length; i++) {
      const index = this.nextProbe++ % this.nodes.length;
      if (this.nodes[index]!.up) return { url: this.nodes[index]!.url, index };
    }
    return null;
  }
  private nextProbe = 0;

  restartRedis(): Promise<unknown> {
    return run('bash', [SERVICES, 'restart-redis', this.services.servicesDir]);
  }

  restartPostgres(): Promise<unknown> {
    return run('bash', [SERVICES, 'restart-pg', this.services.servicesDir]);
  }

  /** Terminate every connection the nodes hold (application_name 'parley'); resolves with how many. */
  async terminateConnections(): Promise<number> {
    const client = new pg.Client({ connectionString: this.services.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        "SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'parley' AND pid <> pg_backend_pid()",
      );
      return Number(rows[0]!.n);
    } finally {
      await client.end();
    }
  }
}
