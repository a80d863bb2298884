/** The reference server on PORT (default 8080) with the embedded SQLite store; `npm start` runs it with --dev. */
import path from 'node:path';
import { createParleyServer } from './app';
import { ConfigError, configFromEnv } from './config';
import { appFiles } from './http/appFiles';

const port = process.env.PORT === undefined ? 8080 : Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';

// The bundles and the demo, built into dist/ by `npm run build` (which `npm start` runs first).
const files = appFiles(path.resolve(import.meta.dirname, '../dist'));
let config;
try {
  config = configFromEnv(process.env, process.argv.slice(2));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
// A database or Redis that stays unreachable, a secret that is too short: one line and exit 1, for
// the process manager to report (and restart), not an unhandled rejection's stack.
const started = await createParleyServer(config, files)
  .then(async (server) => ({ server, ...(await server.listen(port, host)) }))
  .catch((err: unknown) => {
    console.error(`parley: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
const { server, port: actual } = started;
const base = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${actual}`;
console.log(`Parley server listening on ${base}`);
console.log(`  Storefront        ${base}/?as=alice`);
console.log(`  Merchant console  ${base}/merchant`);
console.log(`  WebSocket  ${base.replace('http', 'ws')}/ws`);
console.log(`  health     ${base}/healthz`);
console.log(`  metrics    ${base}/metrics`);
console.log(`  client     ${base}/parley/parley-client.js`);
console.log(`  data dir   ${server.config.dataDir}`);
if (server.config.devTokens) console.log(`  dev tokens ${base}/dev/token?user=alice  (dev mode: anyone here may take a demo identity)`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
