/**
 * The PostgreSQL and Redis the cluster tests run against: started by scripts/services.sh (which
 * .ci/run calls) and named in the environment. Without them those tests are skipped, unless
 * PARLEY_REQUIRE_SERVICES is set (CI sets it), where their absence fails the run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const databaseUrl = process.env.PARLEY_TEST_DATABASE_URL;
export const redisUrl = process.env.PARLEY_TEST_REDIS_URL;
export const servicesRequired = process.env.PARLEY_REQUIRE_SERVICES === '1';
export const SKIP_NOTE = 'no PostgreSQL/Redis: run `eval "$(scripts/services.sh start /tmp/parley-services)"` first';

/** A fresh schema name: each store under test gets its own tables. */
export const freshSchema = (): string => `t_${randomBytes(6).toString('hex')}`;

/** Drop a schema and everything in it, on the test database (or the one named). */
export async function dropSchema(schema: string, url = databaseUrl): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
