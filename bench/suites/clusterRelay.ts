/**
 * The relay workloads (32 members of one group, and 2) on a cluster: 1, 2 and 3 nodes on
 * PostgreSQL and Redis, each node a child process, the members spread over the nodes round-robin
 * (so on 2 or 3 nodes most pushes cross Redis). Beside them, in the same run: one SQLite node
 * (the embedded default) and the plain ws relay. Reported per cluster size: messages/s, the nodes'
 * CPU a message (all nodes together), PostgreSQL's CPU a message (its processes, from /proc) and
 * its commits a message (pg_stat_database).
 *
 * Needs PARLEY_TEST_DATABASE_URL and PARLEY_TEST_REDIS_URL (scripts/services.sh start); without
 * them it says so and reports nothing. The database runs with fsync off there (a throwaway
 * cluster): commits cost what PostgreSQL's CPU costs, not a disk flush.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { signToken } from '../../server';
import { startWsRelay } from '../baselines/wsRelay';
import { rateFigure } from '../lib/figures';
import { repeat, rotation } from '../lib/stats';
import type { BenchEnv, BenchOutcome, Benchmark, Figure } from '../lib/types';
import { MEMBERS, startRelayClients, WINDOW } from './relayClients';

const SECRET = 'bench-cluster-secret-0123456789abcdef';
const NODE_MAIN = path.resolve(import.meta.dirname, '../lib/clusterNode.ts');
const SIZES = [1, 2, 3] as const;
const TICK_MS = 1000 / 100; // /proc reports CPU in clock ticks of 10 ms (CLK_TCK 100 on Linux)

/** A process's CPU time so far (user + system), ms. */
function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** A process's CPU time and its reaped children's (utime, stime, cutime, cstime), ms. */
function procTreeCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * PostgreSQL's CPU time so far, ms: the postmaster's own and its exited children's (the kernel adds
 * a child's time to its parent when it is reaped), plus its live children's. Monotonic, where a sum
 * over live processes would drop whenever a backend exits.
 */
function postgresCpuMs(postmaster: number): number {
  let total = procTreeCpuMs(postmaster);
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) total += procCpuMs(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

interface Node {
  child: ChildProcess;
  url: string;
}

async function startNode(databaseUrl: string, redisUrl: string, schema: string): Promise<Node> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-node-'));
  const child = fork(NODE_MAIN, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_DATA_DIR: dataDir, BENCH_SECRET: SECRET, BENCH_DATABASE_URL: databaseUrl, BENCH_DATABASE_SCHEMA: schema, BENCH_REDIS_URL: redisUrl },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`a cluster node exited (${code}) before it was ready`)));
  });
  return { child, url: `ws://127.0.0.1:${port}/ws` };
}

const stopNode = (n: Node) =>
  new Promise<void>((resolve) => {
    if (n.child.exitCode !== null) return resolve();
    n.child.once('exit', () => resolve());
    n.child.kill('SIGTERM');
  });

const token = (userId: string, role: 'supplier' | 'distributor') => signToken(SECRET, { sub: userId, role, exp: Math.floor(Date.now() / 1000) + 3600 });

const perMessage = (key: string, label: string, role: Figure['role'], runs: number[], unit: Figure['unit'] = 'µs'): Figure => ({ key, label, unit, better: 'lower', role, runs });

export const clusterRelay: Benchmark = {
  id: 'cluster-relay',
  title: `The relay on 1, 2 and 3 nodes on PostgreSQL + Redis (${MEMBERS} members and 2)`,
  async run(env: BenchEnv): Promise<BenchOutcome> {
    const databaseUrl = process.env.PARLEY_TEST_DATABASE_URL;
    const redisUrl = process.env.PARLEY_TEST_REDIS_URL;
    const servicesDir = process.env.PARLEY_TEST_SERVICES_DIR;
    if (!databaseUrl || !redisUrl || !servicesDir) {
      return { figures: [], notes: ['Skipped: no PostgreSQL and Redis (start them with `eval "$(scripts/services.sh start /tmp/parley-services)"`).'] };
    }
    const postmaster = Number(fs.readFileSync(path.join(servicesDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const perSender = env.size(60, 8);
    const pairPerSender = env.size(600, 40);
    const sqlite = await env.startServer();
    // A plain relay per workload: it relays to every socket it holds, so workloads sharing one would
    // each be sent the others' traffic.
    const plains: Awaited<ReturnType<typeof startWsRelay>>[] = [];
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const commitsNow = async () => {
      // Statistics reach pg_stat_database within a second of the transactions that made them.
      await new Promise((r) => setTimeout(r, 1100));
      const { rows } = await admin.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
      return Number(rows[0]!.n);
    };
    const clusters: { n: number; schema: string; nodes: Node[] }[] = [];
    const workloads: { key: string; clients: ReturnType<typeof startRelayClients>; nodes: Node[] | null; messages: number }[] = [];
    try {
      for (const n of SIZES) {
        const schema = `bench_${n}_${randomBytes(4).toString('hex')}`;
        const nodes: Node[] = [];
        // One at a time: the first makes the schema.
        for (let i = 0; i < n; i++) nodes.push(await startNode(databaseUrl, redisUrl, schema));
        clusters.push({ n, schema, nodes });
      }
      const group = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}-${randomUUID().slice(0, 6)}`);
      const add = async (key: string, urls: string | string[], members: number, per: number, nodes: Node[] | null, tokenFor: (u: string, i: number) => string) => {
        const users = group(key, members);
        const plain = await startWsRelay();
        plains.push(plain);
        const clients = startRelayClients({ parleyUrl: urls, plainUrl: plain.url, users, tokens: users.map(tokenFor), perSender: per });
        workloads.push({ key, clients, nodes, messages: members * per });
      };
      const sqliteToken = (u: string, i: number) => sqlite.token(u, { role: i === 0 ? 'supplier' : 'distributor' });
      const pgToken = (u: string, i: number) => token(u, i === 0 ? 'supplier' : 'distributor');
      await add('sqlite', sqlite.wsUrl, MEMBERS, perSender, null, sqliteToken);
      await add('pair-sqlite', sqlite.wsUrl, 2, pairPerSender, null, sqliteToken);
      for (const c of clusters) {
        await add(`pg${c.n}`, c.nodes.map((x) => x.url), MEMBERS, perSender, c.nodes, pgToken);
        await add(`pair-pg${c.n}`, c.nodes.map((x) => x.url), 2, pairPerSender, c.nodes, pgToken);
      }
      await Promise.all(workloads.map((w) => w.clients.ready));

      type Sample = { rate: number; nodeCpu: number; dbCpu: number; commits: number };
      let runNo = 0;
      const results = await repeat(env, async (run) => {
        const out: Record<string, Sample> = {};
        for (const w of rotation(workloads, run)) {
          const nodeCpu0 = w.nodes ? w.nodes.reduce((s, x) => s + procCpuMs(x.child.pid!), 0) : 0;
          const dbCpu0 = postgresCpuMs(postmaster);
          const commits0 = w.nodes ? await commitsNow() : 0;
          const report = await w.clients.run('parley', ++runNo);
          const nodeCpu = w.nodes ? w.nodes.reduce((s, x) => s + procCpuMs(x.child.pid!), 0) - nodeCpu0 : NaN;
          const dbCpu = postgresCpuMs(postmaster) - dbCpu0;
          const commits = w.nodes ? (await commitsNow()) - commits0 : NaN;
          out[w.key] = { rate: w.messages / (report.ms / 1000), nodeCpu: (nodeCpu * 1000) / w.messages, dbCpu: (dbCpu * 1000) / w.messages, commits: commits / w.messages };
        }
        // The plain relay, for the 32 members and for 2.
        const big = workloads.find((w) => w.key === 'sqlite')!;
        const pair = workloads.find((w) => w.key === 'pair-sqlite')!;
        out.plain = { rate: big.messages / ((await big.clients.run('baseline', ++runNo)).ms / 1000), nodeCpu: NaN, dbCpu: NaN, commits: NaN };
        out['pair-plain'] = { rate: pair.messages / ((await pair.clients.run('baseline', ++runNo)).ms / 1000), nodeCpu: NaN, dbCpu: NaN, commits: NaN };
        return out;
      });
      const col = (key: string, f: keyof Sample) => results.map((r) => r[key]![f]);
      const figures: Figure[] = [
        rateFigure('plain', `plain ws relay, ${MEMBERS} members: messages`, 'baseline', col('plain', 'rate')),
        rateFigure('sqlite', `one node on SQLite, ${MEMBERS} members: messages stored and fanned out`, 'parley', col('sqlite', 'rate'), { vs: 'plain' }),
      ];
      for (const c of clusters) {
        const k = `pg${c.n}`;
        const nodes = `${c.n} node${c.n > 1 ? 's' : ''}`;
        figures.push(
          rateFigure(k, `${nodes} on PostgreSQL + Redis, ${MEMBERS} members: messages stored and fanned out`, 'parley', col(k, 'rate'), { vs: 'plain' }),
          perMessage(`${k}-cpu`, `${nodes}: the nodes' CPU a message (all nodes together)`, 'parley', col(k, 'nodeCpu')),
          ...(c.n > 1 ? [perMessage(`${k}-cpu-node`, `${nodes}: each node's CPU a message (their average)`, 'parley', col(k, 'nodeCpu').map((v) => v / c.n))] : []),
          perMessage(`${k}-db-cpu`, `${nodes}: PostgreSQL's CPU a message`, 'parley', col(k, 'dbCpu')),
          perMessage(`${k}-commits`, `${nodes}: PostgreSQL commits a message`, 'parley', col(k, 'commits'), 'count'),
        );
      }
      figures.push(
        rateFigure('pair-plain', 'two members: plain ws relay, messages', 'baseline', col('pair-plain', 'rate')),
        rateFigure('pair-sqlite', 'two members: one node on SQLite', 'parley', col('pair-sqlite', 'rate'), { vs: 'pair-plain' }),
        ...clusters.map((c) =>
          rateFigure(`pair-pg${c.n}`, `two members: ${c.n} node${c.n > 1 ? 's' : ''} on PostgreSQL + Redis`, 'parley', col(`pair-pg${c.n}`, 'rate'), { vs: 'pair-plain' }),
        ),
      );
      return {
        figures,
        notes: [
          `${MEMBERS} members each sending ${perSender} messages per run with ${WINDOW} outstanding; two members each sending ${pairPerSender}. Members connect to the nodes round-robin; every member received every message (checked by the clients).`,
          'Each node is a child process (its CPU read from /proc); PostgreSQL 15 from Debian with fsync off (scripts/services.sh), Redis 7.0, all on this machine\'s cores with the clients.',
          'Commits a message: pg_stat_database.xact_commit over the run (reads, the claim check and the position checks included) divided by messages stored.',
        ],
      };
    } finally {
      await Promise.all(workloads.map((w) => w.clients.close()));
      await Promise.all(clusters.flatMap((c) => c.nodes.map(stopNode)));
      for (const c of clusters) await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(c.schema)} CASCADE`).catch(() => {});
      await admin.end();
      await sqlite.stop();
      await Promise.all(plains.map((p) => p.close()));
    }
  },
};
