/**
 * `npm run test:cluster`: the server and integration suites again, on PostgreSQL and Redis
 * (PARLEY_TEST_STORE=postgres), so sessions and handlers are checked on the cluster backends too.
 * Without the services (scripts/services.sh) it says so and passes, unless PARLEY_REQUIRE_SERVICES
 * is set (CI), where that is a failure.
 */
import { spawnSync } from 'node:child_process';

if (!process.env.PARLEY_TEST_DATABASE_URL || !process.env.PARLEY_TEST_REDIS_URL) {
  const note = 'test:cluster: no PARLEY_TEST_DATABASE_URL / PARLEY_TEST_REDIS_URL; start them with `eval "$(scripts/services.sh start /tmp/parley-services)"`';
  if (process.env.PARLEY_REQUIRE_SERVICES === '1') {
    console.error(`${note} (required here)`);
    process.exit(1);
  }
  console.warn(`${note}; skipped`);
  process.exit(0);
}
// The cluster's own tests name their backends themselves and already ran in test:node.
const own = ['cluster', 'pgCluster', 'pgStore.contract', 'mediaStorage', 'streamFeed'].map((name) => `**/${name}.test.ts`);
const run = spawnSync('npx', ['vitest', 'run', 'test/server', 'test/integration', ...own.flatMap((glob) => ['--exclude', glob])], {
  stdio: 'inherit',
  env: { ...process.env, PARLEY_TEST_STORE: 'postgres' },
});
process.exit(run.status ?? 1);
