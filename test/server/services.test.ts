/** CI runs the cluster tests for real: where it asks for the services, their absence is a failure, not a skip. */
import { describe, expect, it } from 'vitest';
import { databaseUrl, redisUrl, servicesRequired } from '../support/services';

describe.runIf(servicesRequired)('cluster services', () => {
  it('are named in the environment when PARLEY_REQUIRE_SERVICES is set', () => {
    expect(databaseUrl, 'PARLEY_TEST_DATABASE_URL').toMatch(/^postgres(ql)?:\/\//);
    expect(redisUrl, 'PARLEY_TEST_REDIS_URL').toMatch(/^redis:\/\//);
  });
});
