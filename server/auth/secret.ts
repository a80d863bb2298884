/** Where the token secret comes from: the configuration, or in dev mode a random one kept in the data dir. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MIN_SECRET_LENGTH = 32;

export function resolveSecret(configured: string | undefined, dataDir: string, devSecret: boolean): string {
  if (configured) {
    if (configured.length < MIN_SECRET_LENGTH) {
      throw new Error(`PARLEY_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    return configured;
  }
  if (!devSecret) throw new Error('PARLEY_SECRET is required (or dev mode: npm start, or --dev on a developer machine)');
  // Dev only: persist so tokens survive a restart of `npm start`.
  const file = path.join(dataDir, 'dev-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
