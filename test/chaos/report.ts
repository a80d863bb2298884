/** Chaos results as text: a console summary per seed, and test/chaos/REPORT.md for several seeds. */
import fs from 'node:fs/promises';
import { faultShortfalls } from './appliedFaults';
import { NO_ANOMALIES, SEND_RECEIPT_ORDER, type Counts } from './checker';
import type { ProbeOutcome } from './fenceProbe';
import type { ChaosResult } from './harness';

const COUNTS = Object.keys(NO_ANOMALIES) as (keyof Counts)[];

/**
 * What a cluster run's own checks found: a session slot held twice once quiet (or not read), a
 * write accepted from a superseded session, an accepted upload some node cannot serve. Empty for a
 * single server.
 */
export function clusterFindings(r: ChaosResult): string[] {
  const found: string[] = [];
  if (r.doubledSessions === null) found.push('sessions not read: a node did not answer');
  for (const slot of r.doubledSessions ?? []) found.push(`session slot held twice: ${slot}`);
  if (r.fence && r.fence.accepted > 0) found.push(`${r.fence.accepted} write(s) accepted from superseded sessions`);
  for (const m of r.media?.unreadable ?? []) found.push(`media unreadable: ${m}`);
  return found;
}

/** Whether the run passed: the checker's counts, and a cluster's own checks. */
export const passed = (r: ChaosResult): boolean => r.check.pass && clusterFindings(r).length === 0;

/** PASS; FAIL with only known causes; or FAIL with new findings. */
export function verdict(r: ChaosResult): string {
  if (passed(r)) return 'PASS';
  const cluster = clusterFindings(r).length;
  const unexplained = r.check.unexplained + cluster;
  return unexplained === 0 ? 'FAIL (every anomaly explained by known bugs)' : `FAIL (${unexplained} unexplained)`;
}

export function summary(r: ChaosResult): string {
  const c = r.check;
  const faults = Object.entries(r.faults)
    .sort(([, a], [, b]) => b - a)
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  const lines = [
    `seed ${r.seed}, ${(r.durationMs / 1000).toFixed(0)} s, schedule ${r.scheduleDigest}: ${verdict(r)}`,
    `  sent ${r.sent} (acknowledged ${c.acknowledged}, refused ${c.refused}), on the server ${c.serverMessages}, failed by the engine ${c.resent} (gave up after its retries: ${c.gaveUp}), resent at the end`,
    `  recalls ${JSON.stringify(r.recalls ?? {})}`,
    `  ${COUNTS.map((k) => `${k} ${c.counts[k]}`).join(', ')}`,
    `  faults: ${faults || 'none'}`,
    ...faultShortfalls(r).map((s) => `  fault not applied as drawn: ${s}`),
    `  own messages below the read/delivered state the server's members table implies, never pushed (not counted): ${c.silentReads}`,
    `  server: ${r.serverStarts} starts, deaths ${JSON.stringify(r.serverDeaths)}; device reloads ${r.reloads.reload}, crashes ${r.reloads.crash}; pushes swapped ${r.pushesSwapped}`,
    `  engine events ${JSON.stringify(r.events)}; quiet ${r.quiesced ? `after ${r.quiesceMs} ms` : `NOT reached in ${r.quiesceMs} ms`}`,
    ...(r.doubledSessions === undefined
      ? []
      : [`  sessions held twice across the nodes once quiet: ${r.doubledSessions === null ? 'not read (a node did not answer)' : r.doubledSessions.length === 0 ? 'none' : r.doubledSessions.join(', ')}`]),
    ...(r.fence ? [`  writes from superseded sessions (a probe at each node pause): accepted ${r.fence.accepted}; on the old socket ${outcomes(r.fence.outcomes)}`] : []),
    ...(r.media ? [`  media: ${r.media.accepted} of ${r.media.tried} uploads accepted (one per fault episode), unreadable from some node: ${r.media.unreadable.length}`] : []),
    ...clusterFindings(r).map((f) => `  ! ${f}`),
  ];
  // The first few, and every one that says something went wrong beyond the faults themselves.
  const alarming = /relaunch_failed|action_error|kicked|auth_failed|gave_up|cursor_regression|failed_send/;
  for (const [i, e] of r.eventLog.entries()) if (i < 10 || alarming.test(e)) lines.push(`  · ${e}`);
  const known = c.anomalies.filter((a) => a.knownIssue).length;
  if (known > 0) lines.push(`  ${known} of the anomalies below are explained by known bugs (marked [known: ...])`);
  const ordered = [...c.anomalies].sort((a, b) => Number(Boolean(a.knownIssue)) - Number(Boolean(b.knownIssue)));
  for (const a of ordered.slice(0, 20)) lines.push(`  ! ${a.kind}${a.device ? ` @${a.device}` : ''}: ${a.detail}${a.knownIssue ? ` [known: ${a.knownIssue}]` : ''}`);
  if (c.anomalies.length > 20) lines.push(`  ... ${c.anomalies.length - 20} more`);
  if (!passed(r)) {
    lines.push(`  reproduce: npm run chaos --${r.fence ? ' --cluster' : ''} --seed ${r.seed} --minutes ${+(r.durationMs / 60_000).toFixed(2)}${r.browsers ? '' : ' --node-only'}`);
  }
  return lines.join('\n');
}

const CLUSTER_START = '<!-- cluster runs: written by npm run chaos -- --cluster -->';

/**
 * Write the report. A cluster run's results go in their own section at the end of the file (the
 * single-server runs' part is kept), and a single-server run keeps the cluster section there.
 */
export async function writeReport(file: string, results: readonly ChaosResult[], command: string, cluster = false): Promise<void> {
  const existing = await fs.readFile(file, 'utf8').catch(() => '');
  const at = existing.indexOf(CLUSTER_START);
  const [main, clusterPart] = at < 0 ? [existing, ''] : [existing.slice(0, at), existing.slice(at)];
  const mine = reportText(results, command, cluster);
  const text = cluster ? `${main.trimEnd()}\n\n${CLUSTER_START}\n${mine}` : `${mine}${clusterPart ? `\n${clusterPart}` : ''}`;
  await fs.writeFile(file, text.endsWith('\n') ? text : `${text}\n`);
}

function reportText(results: readonly ChaosResult[], command: string, cluster: boolean): string {
  const row = (r: ChaosResult) =>
    `| ${r.seed} | ${(r.durationMs / 1000).toFixed(0)} s | \`${r.scheduleDigest}\` | ${r.sent} | ${r.check.acknowledged} | ${r.check.serverMessages} | ` +
    `${COUNTS.map((k) => r.check.counts[k]).join(' | ')} | ${r.check.resent} | ${r.quiesced ? `${(r.quiesceMs / 1000).toFixed(1)} s` : 'no'} | ${passed(r) ? 'pass' : verdict(r).replace('FAIL', '**FAIL**')} |`;
  const kinds = [...new Set(results.flatMap((r) => Object.keys(r.faults)))].sort();
  const faultRow = (k: string) => `| ${k} | ${results.map((r) => r.faults[k] ?? 0).join(' | ')} |`;
  if (cluster) return clusterText(results, command, row, kinds, faultRow);
  const text = [
    '# Chaos report',
    '',
    `Written by \`${command}\` on ${new Date().toISOString()}. Definitions of the counts: test/chaos/checker.ts;`,
    'the faults: test/chaos/schedule.ts. Reproduce a seed with `npm run chaos -- --seed N --minutes M` (the schedule',
    'is the same for the same seed and duration: compare its digest; the timing of answers is not).',
    'What the runs have found so far, and what was done about it: [FINDINGS.md](FINDINGS.md).',
    '',
    '| seed | length | schedule | sent | acknowledged | on server | lost | duplicated | reordered | regressions | stuck | unexpected | failed | stale | dropped | rejected | resent | quiet | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(row),
    '',
    '## Faults tried (episodes)',
    '',
    `| fault | ${results.map((r) => `seed ${r.seed}`).join(' | ')} |`,
    `| --- | ${results.map(() => '---').join(' | ')} |`,
    ...kinds.map(faultRow),
    '',
    '## Reading the counts',
    '',
    `- Anomalies marked \`[known: ...]\` are explained: by a bug already diagnosed ("${SEND_RECEIPT_ORDER}",`,
    '  see `SEND_RECEIPT_ORDER` in test/chaos/checker.ts; fixed, so any such mark is a regression). They still count; a',
    '  run with only explained anomalies has no new finding.',
    '- swap-pushes and skip-pushes break the server\'s promise of an ordered, gap-free push stream on a socket. Each push',
    '  names the cursor before it (`prev`), so the engine notices the hole, acks nothing past it and replays from what',
    '  it stored (a `receive_error` "pushes missing ... replaying" in the engine events).',
    '- Unless `--node-only`, two Chromiums (alice.web, shop-agent.web; two tabs each on one SharedWorker) join the Node',
    '  devices. Their faults: browser-kill (SIGKILL of the whole browser a few ms into a burst of sends, then a relaunch',
    '  on the same profile), worker-close (the SharedWorker closed over CDP), freeze (a tab frozen while peers send),',
    '  tab-reload, quota (the browser restarted with its storage full until the episode ends: sends are refused with',
    '  STORAGE_FULL, pushes go unstored and unacked, and replays back off). A send in flight when its browser dies has',
    '  an unknown outcome: it counts as made (and must then be everywhere, once, in order) if it turns up on the server',
    '  or its device, else as refused. Every rejected send must be explained by a fault of its device at that time',
    '  (STORAGE_FULL by a quota episode; an unknown outcome by a kill, a closed worker, a reloaded tab or a quota',
    '  restart), else it counts as `rejected`; the bounded runs also cap `refused`. What a browser holds is read in its',
    '  worker, as a Node device\'s file is read: the chaos worker\'s `client.diagnostics()` returns the stored rows and a',
    '  log of the pushes stored, written by the transactions that stored them, so `dropped` covers browsers too. At the',
    '  end every tab\'s view must show what the database holds, as the first tab does (else lost, marked "UI").',
    '',
    '## Per seed',
    '',
    ...results.flatMap((r) => ['```', summary(r), '```', '']),
  ].join('\n');
  return text;
}

function clusterText(
  results: readonly ChaosResult[],
  command: string,
  row: (r: ChaosResult) => string,
  kinds: readonly string[],
  faultRow: (k: string) => string,
): string {
  return [
    '## Cluster',
    '',
    `Written by \`${command}\` on ${new Date().toISOString()}: three server nodes on PostgreSQL and Redis behind a`,
    'round-robin load balancer (test/chaos/cluster.ts), the devices reaching it through their fault proxies. The same',
    'checker and counts as above, and the server faults go to one node at a time (the others serve on). The cluster\'s',
    'own faults: node-pause (one node SIGSTOPped for the episode, then SIGCONT: it holds its sockets and hears',
    'nothing, and its sessions\' writes are fenced once another node takes them), redis-restart (every live publish',
    'and subscription lost; the nodes fill from PostgreSQL), pg-restart (`pg_ctl -m immediate`: a crash and recovery;',
    'requests fail, clients retry), pg-terminate (every connection of the nodes terminated).',
    '',
    '| seed | length | schedule | sent | acknowledged | on server | lost | duplicated | reordered | regressions | stuck | unexpected | failed | stale | dropped | rejected | resent | quiet | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(row),
    '',
    `| fault | ${results.map((r) => `seed ${r.seed}`).join(' | ')} |`,
    `| --- | ${results.map(() => '---').join(' | ')} |`,
    ...kinds.map(faultRow),
    '',
    "The cluster's own checks, once quiet: session slots held by two live sessions across the nodes; writes the",
    'database accepted from a superseded session (at each node pause a probe logs in on the node, logs in again',
    'on another while it is stopped, and the old socket writes: test/chaos/fenceProbe.ts); and uploads accepted',
    'during the faults (one per episode, 600 KiB) that some node cannot serve byte for byte (mediaProbe.ts).',
    '',
    '| seed | sessions held twice | fenced writes accepted | fence probes: closed / refused / not tried | media unreadable | uploads accepted |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.seed} | ${r.doubledSessions?.length ?? 'not read'} | ${r.fence?.accepted ?? '-'} | ${r.fence ? `${r.fence.outcomes.closed} / ${r.fence.outcomes.refused} / ${r.fence.outcomes['not-tried']}` : '-'} | ${r.media?.unreadable.length ?? '-'} | ${r.media ? `${r.media.accepted} of ${r.media.tried}` : '-'} |`,
    ),
    '',
    ...results.flatMap((r) => ['```', summary(r), '```', '']),
  ].join('\n');
}

const outcomes = (o: Record<ProbeOutcome, number>): string =>
  Object.entries(o)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none tried';
