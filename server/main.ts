/** `npm start`: the reference server on PORT (default 8080) with the embedded SQLite store. */
import path from 'node:path';
import { createParleyServer } from './app';
import { configFromEnv } from './config';
import { appFiles } from './http/appFiles';

const port = process.env.PORT === undefined ? 8080 : Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';

// The bundles and the demo, built into dist/ by `npm run build` (which `npm start` runs first).
const files = appFiles(path.resolve(import.meta.dirname, '../dist'));
const server = await createParleyServer(configFromEnv(process.env), files);
const { port: actual } = await server.listen(port, host);
const base = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${actual}`;
console.log(`Parley server listening on ${base}`);
console.log(`  Storefront        ${base}/?as=alice`);
console.log(`  Merchant console  ${base}/merchant`);
console.log(`  WebSocket  ${base.replace('http', 'ws')}/ws`);
console.log(`  health     ${base}/healthz`);
console.log(`  metrics    ${base}/metrics`);
console.log(`  client     ${base}/parley/parley-client.js`);
console.log(`  data dir   ${server.config.dataDir}`);
if (server.config.devTokens) console.log(`  dev tokens ${base}/dev/token?user=alice  (DEV ONLY; off when NODE_ENV=production)`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
