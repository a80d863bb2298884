// The two servers a storefront runs, for this example: the shop (its built pages, and the endpoint
// its pages ask for a chat token) and the Parley chat server on another origin. In a real shop the
// first is your existing backend and the user comes from its login session, not from `?as=`.
//
//   PARLEY_SECRET=<32+ characters> node server.mjs     (after `npm run build`)
//
// PORT (5173) and CHAT_PORT (8080) pick the ports; CHAT_PUBLIC_URL is the WebSocket URL the pages
// are told to use (default ws://127.0.0.1:CHAT_PORT/ws).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createParleyServer, signToken } from 'parley/server';

const host = '127.0.0.1';
const shopPort = Number(process.env.PORT ?? 5173);
const chatPort = Number(process.env.CHAT_PORT ?? 8080);
const secret = process.env.PARLEY_SECRET;
if (!secret || secret.length < 32) {
  console.error('set PARLEY_SECRET to 32 or more characters');
  process.exit(1);
}
const shopOrigin = `http://${host}:${shopPort}`;
const chatUrl = process.env.CHAT_PUBLIC_URL ?? `ws://${host}:${chatPort}/ws`;

// Parley accepts sockets (and media requests) from the shop's pages only.
const chat = await createParleyServer({ secret, dataDir: process.env.CHAT_DATA_DIR ?? 'chat-data', allowedOrigins: [shopOrigin] });
await chat.listen(chatPort, host);

const customers = { alice: 'Alice', bob: 'Bob' };
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json' };
const dist = path.resolve(import.meta.dirname, 'dist');

const shop = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', shopOrigin);
  if (url.pathname === '/api/parley-session') {
    const user = url.searchParams.get('as') ?? 'alice';
    if (!(user in customers)) return void res.writeHead(404).end();
    // What your backend does for its logged-in shopper: a short-lived token naming them.
    const token = signToken(secret, { sub: user, role: 'customer', name: customers[user], exp: Math.floor(Date.now() / 1000) + 3600 });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return void res.end(JSON.stringify({ user, token, url: chatUrl }));
  }
  const file = path.join(dist, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
  if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return void res.writeHead(404).end('not found');
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
shop.listen(shopPort, host, () => console.log(`shop on ${shopOrigin}, chat on ws://${host}:${chatPort}/ws`));

const stop = () => shop.close(() => void chat.close().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
