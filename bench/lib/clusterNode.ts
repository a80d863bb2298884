/**
 * One cluster node for the benchmarks, in a child process of its own (so its CPU is its own): the
 * server on PostgreSQL and Redis with the benchmarks' settings (no rate limits). Started by
 * startClusterNode; env BENCH_DATABASE_URL, BENCH_DATABASE_SCHEMA, BENCH_REDIS_URL, BENCH_SECRET.
 * Sends {port} to the parent once listening; SIGTERM closes it.
 */
import { createParleyServer } from '../../server';

const server = await createParleyServer({
  dataDir: process.env.BENCH_DATA_DIR!,
  secret: process.env.BENCH_SECRET!,
  databaseUrl: process.env.BENCH_DATABASE_URL!,
  databaseSchema: process.env.BENCH_DATABASE_SCHEMA!,
  redisUrl: process.env.BENCH_REDIS_URL!,
  seedDemo: false,
  log: process.env.BENCH_NODE_LOG === '1' ? (line) => process.stderr.write(`${line}\n`) : () => {},
  rateLimit: { perSecond: 1e9, burst: 1e9 },
  messageRate: { perSecond: 1e9, burst: 1e9 },
});
const { port } = await server.listen(0);
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
