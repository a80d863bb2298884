/**
 * The cluster benchmark's PostgreSQL and Redis. Given (PARLEY_TEST_* in the environment, as
 * `.ci/run` and `scripts/services.sh start` set them), they are used as they are; otherwise a full
 * run starts a throwaway pair in a temporary directory itself (Debian's packages, as the tests do)
 * and stops it at the end, so the committed results never lack the cluster section for want of a
 * command typed first.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/services.sh');

/** Starts the services unless the environment names them; returns how to stop what it started. */
export function ensureServices(log: (m: string) => void): () => void {
  if (process.env.PARLEY_TEST_DATABASE_URL && process.env.PARLEY_TEST_REDIS_URL && process.env.PARLEY_TEST_SERVICES_DIR) return () => {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-services-'));
  let exports: string;
  try {
    exports = execFileSync('bash', [SCRIPT, 'start', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    const why = String((err as { stderr?: string }).stderr ?? err).trim();
    throw new Error(`a full run measures the cluster relay and needs PostgreSQL and Redis: ${why}`);
  }
  for (const line of exports.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!;
  }
  log(`   started PostgreSQL and Redis in ${dir}`);
  return () => {
    try {
      execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}
