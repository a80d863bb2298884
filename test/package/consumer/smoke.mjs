// Runs the installed package's server for real: /healthz, then a socket that authenticates with a
// token from signToken and gets auth_ok. Exits non-zero on anything else.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { createParleyServer, signToken } from 'parley/server';
import { decodeServerFrame, encodeFrame, PROTOCOL_VERSION } from 'parley/schema';

const secret = 'package-smoke-secret-0123456789abcdef';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-smoke-'));
const server = await createParleyServer({ secret, dataDir, log: () => {} });
const { port } = await server.listen(0);
try {
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to auth in 10 s')), 10_000);
    ws.on('open', () => ws.send(encodeFrame({ t: 'auth', v: PROTOCOL_VERSION, token: signToken(secret, { sub: 'alice', role: 'customer', exp: Math.floor(Date.now() / 1000) + 600 }), deviceId: 'smoke' })));
    ws.on('message', (data) => (clearTimeout(timer), resolve(decodeServerFrame(String(data)))));
    ws.on('error', reject);
  });
  if (!first.ok || first.value.t !== 'auth_ok') throw new Error(`expected auth_ok, got ${JSON.stringify(first)}`);
  ws.close();
  console.log('smoke: the packaged server answered /healthz and authenticated a socket');
} finally {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
