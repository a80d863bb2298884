/**
 * The chaos run's server, in a child process so it can be killed with SIGKILL and restarted on the
 * same data dir and port. Started by ChaosServer (serverProcess.ts) with an IPC channel:
 *   env CHAOS_DATA_DIR, CHAOS_PORT (0: any), CHAOS_PUSH_RESEND_MS, CHAOS_ALLOWED_ORIGINS (comma list: the
 *   browser devices' page origin), and for a cluster node CHAOS_DATABASE_URL, CHAOS_DATABASE_SCHEMA,
 *   CHAOS_REDIS_URL; multi-device sessions; test hooks on.
 *   child → parent  {type: 'ready', port}
 *   parent → child  {type: 'crash', point: 'receive' | 'commit', after: n} | {type: 'disarm'}
 *
 * Crash points (besides the test hook `crashOnResponse`, see server/testHooks.ts):
 * - `receive`: the n-th next message store (each message of a sendBatch counts) kills the process
 *   before its transaction is queued: the request arrived and was validated, nothing of that
 *   message is stored, nor of its batch (a batch is stored in one commit).
 * - `commit`: the n-th next message store kills the process right after its group commit, before
 *   the response: stored, the sender not told (its push may or may not have gone out).
 * The store is wrapped here rather than in the server: these points are inside a handler.
 */
import { createParleyServer } from '../../server';
import { TEST_SECRET } from '../support/server';

type CrashPoint = 'receive' | 'commit';
type ParentMessage = { type: 'crash'; point: CrashPoint; after: number } | { type: 'disarm' };

const dataDir = process.env.CHAOS_DATA_DIR;
if (!dataDir) throw new Error('CHAOS_DATA_DIR is required');
const log = process.env.CHAOS_SERVER_LOG === '1' ? (line: string) => process.stderr.write(`${line}\n`) : () => {};

const server = await createParleyServer({
  dataDir,
  secret: TEST_SECRET,
  testHooks: true,
  sessionPolicy: 'multi',
  pushResendMs: Number(process.env.CHAOS_PUSH_RESEND_MS ?? 2000),
  ...(process.env.CHAOS_ALLOWED_ORIGINS ? { allowedOrigins: process.env.CHAOS_ALLOWED_ORIGINS.split(',') } : {}),
  ...(process.env.CHAOS_DATABASE_URL
    ? {
        databaseUrl: process.env.CHAOS_DATABASE_URL,
        databaseSchema: process.env.CHAOS_DATABASE_SCHEMA,
        redisUrl: process.env.CHAOS_REDIS_URL,
        // The cluster's checks, quicker than in production so a run's faults heal within its quiet time.
        streamCheckMs: 500,
        claimCheckMs: 1000,
      }
    : {}),
  log,
});

let armed: { point: CrashPoint; left: number } | null = null;
const die = (point: CrashPoint) => {
  process.stderr.write(`chaos: crash at ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
};
const tick = (point: CrashPoint) => {
  if (armed?.point !== point) return;
  if (--armed.left <= 0) die(point);
};
// SqliteStore.send queues its transaction for the next group commit and resolves after it: the
// receive point is before it is queued, the commit point right after its commit (whose events the
// store has already handed to the fan-out), before the handler answers.
const store = server.store;
const send = store.send.bind(store);
store.send = (input) => {
  tick('receive');
  return send(input).then((outcome) => {
    tick('commit');
    return outcome;
  });
};
const sendBatch = store.sendBatch.bind(store);
store.sendBatch = (inputs) => {
  for (const _ of inputs) tick('receive');
  return sendBatch(inputs).then((outcomes) => {
    for (const _ of outcomes) tick('commit');
    return outcomes;
  });
};

process.on('message', (m: ParentMessage) => {
  if (m.type === 'crash') armed = { point: m.point, left: Math.max(1, m.after) };
  else if (m.type === 'disarm') armed = null;
});
// The parent went away: do not outlive it.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));

const { port } = await server.listen(Number(process.env.CHAOS_PORT ?? 0));
process.send?.({ type: 'ready', port });
