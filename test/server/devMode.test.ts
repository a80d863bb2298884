/**
 * Dev mode (dev tokens, the demo seed, a dev secret) is opt-in, and a deployment-looking
 * environment that asks for it, or for test hooks, refuses to start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from '../../server';
import { resolveSecret } from '../../server/auth/secret';
import { killSpawned, makeTempDir, spawnServer } from '../support/server';

afterEach(() => killSpawned());

describe('configFromEnv', () => {
  it.each([
    ['nothing set', {}],
    ['NODE_ENV unset', { PARLEY_SECRET: 'x'.repeat(32) }],
    ['NODE_ENV=Production', { NODE_ENV: 'Production' }],
    ['NODE_ENV=prod', { NODE_ENV: 'prod' }],
  ])('leaves dev mode off with %s', (_label, env) => {
    expect(configFromEnv(env)).toMatchObject({ devTokens: false, seedDemo: false, devSecret: false, testHooks: false });
  });

  it.each([
    ['--dev', {}, ['--dev']],
    ['PARLEY_DEV=1', { PARLEY_DEV: '1' }, []],
    ['--dev with NODE_ENV=development', { NODE_ENV: 'development' }, ['--dev']],
    ['--dev on loopback', { HOST: '127.0.0.1', NODE_ENV: 'test' }, ['--dev']],
  ])('turns dev mode on with %s', (_label, env, argv) => {
    expect(configFromEnv(env, argv)).toMatchObject({ devTokens: true, seedDemo: true, devSecret: true });
  });

  it.each([
    ['NODE_ENV=production', { NODE_ENV: 'production' }, ['--dev']],
    ['NODE_ENV=Production', { NODE_ENV: 'Production', PARLEY_DEV: '1' }, []],
    ['NODE_ENV=prod', { NODE_ENV: 'prod' }, ['--dev']],
    ['NODE_ENV=staging', { NODE_ENV: 'staging' }, ['--dev']],
    ['HOST=0.0.0.0', { HOST: '0.0.0.0' }, ['--dev']],
    ['test hooks with NODE_ENV=production', { NODE_ENV: 'production', PARLEY_TEST_HOOKS: '1' }, []],
  ])('refuses dev mode or test hooks where the environment looks like a deployment (%s)', (_label, env, argv) => {
    expect(() => configFromEnv(env, argv)).toThrow(ConfigError);
  });

  it('needs a configured secret outside dev mode', () => {
    expect(() => resolveSecret(undefined, '/nonexistent', false)).toThrow(/PARLEY_SECRET is required/);
    expect(resolveSecret('s'.repeat(32), '/nonexistent', false)).toBe('s'.repeat(32));
  });
});

describe('the server process', () => {
  it('serves no dev tokens when NODE_ENV is unset or not exactly "production"', async () => {
    for (const NODE_ENV of ['', 'Production', 'prod']) {
      const server = await spawnServer(await makeTempDir(), { PARLEY_DEV: '', NODE_ENV });
      const res = await fetch(`${server.url}/dev/token?user=shop-agent`);
      expect(res.status, `NODE_ENV=${NODE_ENV}`).toBe(404);
      await server.stop();
    }
  });

  it('will not start in dev mode where the environment looks like a deployment', async () => {
    const failed = await spawnServer(await makeTempDir(), { PARLEY_DEV: '1', NODE_ENV: 'Production' }).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failed).toMatch(/refusing to start: dev mode/);
  });

  it('exits with one line saying why when it cannot start (a secret too short), not a stack trace', async () => {
    const failed = await spawnServer(await makeTempDir(), { PARLEY_DEV: '', PARLEY_SECRET: 'too short' }).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failed).toMatch(/exited \(code 1,/);
    expect(failed).toMatch(/parley: cannot start: PARLEY_SECRET must be at least 32 characters/);
    expect(failed).not.toMatch(/\n\s+at /);
  });
});
