/**
 * Server relay throughput with persistence: 32 members of one group all send at once, each keeping
 * WINDOW sends outstanding, and every message is fanned out to the 31 others. The figures are
 * messages stored per second and pushes delivered per second, wall time from the first send to
 * the last member receiving the last message; every member must receive every message. The
 * baseline is the same 32 clients on a bare `ws` relay that stores nothing
 * (bench/baselines/wsRelay.ts). The server runs on the main thread and the clients in a worker
 * (bench/suites/relayClients.ts); each thread's busy share and CPU per message are printed, to
 * show which side was the limit.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startWsRelay } from '../baselines/wsRelay';
import { median, repeat, rotation } from '../lib/stats';
import type { BenchEnv, BenchOutcome, Benchmark, Figure } from '../lib/types';
import { MEMBERS, startRelayClients, threadCpuMs, WINDOW, type RunReport, type Which } from './relayClients';
import { rateFigure } from '../lib/figures';

const cpu = (key: string, label: string, role: Figure['role'], runs: number[], vs?: string): Figure => ({
  key,
  label,
  unit: 'µs',
  better: 'lower',
  role,
  runs,
  ...(vs === undefined ? {} : { vs }),
});

const pct = (x: number) => `${Math.round(x * 100)} %`;
const fmtUs = (us: number) => (Number.isFinite(us) ? `${Math.round(us)} µs` : 'n/a');

export const relay: Benchmark = {
  id: 'relay',
  title: `Server relay with persistence (${MEMBERS}-member group, 1 KB texts)`,
  async run(env: BenchEnv): Promise<BenchOutcome> {
    const perSender = env.size(60, 12);
    const server = await env.startServer();
    const plain = await startWsRelay();
    const users = Array.from({ length: MEMBERS }, (_, i) => `relay-${i}-${randomUUID().slice(0, 6)}`);
    // Member 0 owns the group: suppliers make groups, customers cannot.
    // A partner group (a supplier and distributors): only a shop's agents may put customers in a group.
    const tokens = users.map((u, i) => server.token(u, { role: i === 0 ? 'supplier' : 'distributor' }));
    const clients = startRelayClients({ parleyUrl: server.wsUrl, plainUrl: plain.url, users, tokens, perSender });
    // The same server without fsync at commit, on clients of its own: what durability costs here.
    const fast = await env.startServer({ sqliteSync: 'normal' });
    const spare = await startWsRelay();
    const fastTokens = users.map((u, i) => fast.token(u, { role: i === 0 ? 'supplier' : 'distributor' }));
    const fastClients = startRelayClients({ parleyUrl: fast.wsUrl, plainUrl: spare.url, users, tokens: fastTokens, perSender });
    // The common storefront case: a conversation of two (a partner group of two here), on the same servers.
    const pairPerSender = env.size(600, 60);
    const pairUsers = users.slice(0, 2).map((u) => `${u}-pair`);
    const pairTokens = pairUsers.map((u, i) => server.token(u, { role: i === 0 ? 'supplier' : 'distributor' }));
    // A plain relay of its own: the baseline relays to every socket it holds, so sharing one with the
    // 32 members would have it send each of the pair's messages to 33 sockets instead of 1.
    const pairPlain = await startWsRelay();
    const pairClients = startRelayClients({ parleyUrl: server.wsUrl, plainUrl: pairPlain.url, users: pairUsers, tokens: pairTokens, perSender: pairPerSender });
    try {
      await Promise.all([clients.ready, fastClients.ready, pairClients.ready]);
      let runNo = 0;
      const storedBefore = await server.metric('parley_messages_stored_total');
      const resentBefore = await server.metric('parley_pushes_resent_total');
      type Variant = Which | 'normal';
      const results = await repeat(env, async (run) => {
        const order = rotation(['parley', 'normal', 'baseline'] as const, run);
        const out = {} as Record<Variant, RunReport & { serverBusy: number; serverCpuMs: number }>;
        for (const which of order) {
          const elu = performance.eventLoopUtilization();
          const cpu = threadCpuMs();
          const report = which === 'normal' ? await fastClients.run('parley', ++runNo) : await clients.run(which, ++runNo);
          out[which] = { ...report, serverBusy: performance.eventLoopUtilization(elu).utilization, serverCpuMs: threadCpuMs() - cpu };
        }
        return out;
      });
      const pairs = await repeat(env, async (run) => {
        const out = {} as Record<Which, RunReport & { serverCpuMs: number }>;
        for (const which of rotation(['parley', 'baseline'] as const, run)) {
          const cpu = threadCpuMs();
          const report = await pairClients.run(which, ++runNo);
          out[which] = { ...report, serverCpuMs: threadCpuMs() - cpu };
        }
        return out;
      });
      const pairMessages = 2 * pairPerSender;
      const pairRate = (which: Which) => pairs.map((r) => pairMessages / (r[which].ms / 1000));
      const pairCpu = (which: Which) => pairs.map((r) => (r[which].serverCpuMs * 1000) / pairMessages);
      const storedFast = await fast.metric('parley_messages_stored_total');
      const stored = (await server.metric('parley_messages_stored_total')) - storedBefore - (env.warmups + env.runs) * pairMessages;
      const expected = (env.warmups + env.runs) * MEMBERS * perSender;
      if (stored !== expected) throw new Error(`the server stored ${stored} messages, expected ${expected}`);
      if (storedFast !== expected) throw new Error(`the synchronous=NORMAL server stored ${storedFast} messages, expected ${expected}`);
      const duplicates = results.reduce((n, r) => n + r.parley.duplicates, 0);
      const rewinds = results.reduce((n, r) => n + r.parley.rewinds, 0);
      const resent = (await server.metric('parley_pushes_resent_total')) - resentBefore;

      const messages = MEMBERS * perSender;
      const pushes = messages * (MEMBERS - 1);
      const perSecond = (n: number, which: Variant) => results.map((r) => n / (r[which].ms / 1000));
      const cpuPerMessage = (which: Variant) => results.map((r) => (r[which].serverCpuMs * 1000) / messages);
      const med = (f: (r: (typeof results)[number]) => number) => median(results.map(f));
      const busy = (which: Variant) =>
        `server thread busy ${pct(med((r) => r[which].serverBusy))}, clients' thread busy ${pct(med((r) => r[which].clientBusy))} ` +
        `using ${fmtUs((med((r) => r[which].clientCpuMs) * 1000) / messages)} CPU a message`;
      return {
        figures: [
          rateFigure('persisted', 'messages stored and fanned out', 'parley', perSecond(messages, 'parley'), { target: { op: '>=', value: 0.5, ofBaseline: true }, vs: 'relayed' }),
          rateFigure('delivered', 'pushes delivered to the other members', 'parley', perSecond(pushes, 'parley'), { vs: 'relayed-pushes' }),
          rateFigure('relayed', 'plain ws relay, messages', 'baseline', perSecond(messages, 'baseline')),
          rateFigure('relayed-pushes', 'plain ws relay, pushes', 'baseline', perSecond(pushes, 'baseline')),
          rateFigure('normal', 'messages stored and fanned out with synchronous=NORMAL (no fsync; a power loss may lose acked sends)', 'baseline', perSecond(messages, 'normal')),
          // CPU per message moves less than wall time when other processes share the cores.
          ...(cpuPerMessage('parley').every(Number.isFinite)
            ? [
                { ...cpu('server-cpu', 'server CPU a message (stored, fanned out)', 'parley', cpuPerMessage('parley'), 'relay-cpu'), target: { op: '<=' as const, value: 2, ofBaseline: true as const } },
                cpu('relay-cpu', 'plain ws relay CPU a message', 'baseline', cpuPerMessage('baseline')),
              ]
            : []),
          // Measured and reported, as the server's hot-path issue asks; its targets are the 32 members'.
          rateFigure('pair-persisted', 'two members: messages stored and delivered', 'parley', pairRate('parley'), { vs: 'pair-relayed' }),
          rateFigure('pair-relayed', 'two members: plain ws relay, messages', 'baseline', pairRate('baseline')),
          ...(pairCpu('parley').every(Number.isFinite)
            ? [
                cpu('pair-server-cpu', 'two members: server CPU a message', 'parley', pairCpu('parley'), 'pair-relay-cpu'),
                cpu('pair-relay-cpu', 'two members: plain ws relay CPU a message', 'baseline', pairCpu('baseline')),
              ]
            : []),
        ],
        notes: [
          `${MEMBERS} members each sending ${perSender} messages per run with ${WINDOW} outstanding (${messages} messages, ${pushes} pushes to others); server on the main thread, the clients in a worker thread, loopback. Targets (32 members): messages/s ≥ 0.5× the plain relay and server CPU a message ≤ 2× its.`,
          `Two members: each sends ${pairPerSender} per run with ${WINDOW} outstanding (${pairMessages} messages, one push each to the other), on the same Parley server (synchronous=FULL) and a plain relay of their own. At most 32 messages are in flight, so each group commit (and its fsync) carries few of them.`,
          `Parley runs with synchronous=FULL (the default: a group commit is fsynced before its acks); the synchronous=NORMAL figure is the same server code without that fsync, on clients of its own, in the same runs.`,
          `During the runs (medians; busy = event-loop utilisation, CPU = the thread's time from /proc): Parley: ${busy('parley')}; synchronous=NORMAL: ${busy('normal')}; plain relay: ${busy('baseline')}.`,
          `Checked: every member received every other member's message (and Parley its own echo), ${stored} messages stored. ` +
            (duplicates || resent || rewinds
              ? `Not exactly once: the server resent ${resent} pushes after 5 s without an ack (${rewinds} arrived behind the cursor, ${duplicates} were duplicates); the protocol allows it (at-least-once, deduplicated by the client), but it means the push stream fell behind.`
              : 'Each exactly once, in cursor order; nothing resent.'),
          'Parley also pushes each message back to its sender (1 in 32 pushes, not counted above) and records acks in SQLite.',
        ],
      };
    } finally {
      await Promise.all([clients.close(), fastClients.close(), pairClients.close()]);
      await Promise.all([plain.close(), spare.close(), pairPlain.close()]);
      await server.stop();
      await fast.stop();
    }
  },
};
