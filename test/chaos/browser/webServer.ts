/**
 * The pages of the browser devices: the built client bundles (/parley/), the chaos worker built
 * here (/chaos/, see chaosWorker.ts), the test harness page (/harness/) and /dev/token for the
 * chaos users, from the test process on their own port. The page's socket goes to the device's
 * fault proxy instead (the harness's `ws` parameter), so a network fault cuts the messaging link,
 * never the page, as with an app shell served offline.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWorker } from '../../../scripts/build';
import { firstOf, staticFiles } from '../../../server/http/static';
import { makeToken, TEST_SECRET } from '../../support/server';
import type { UserSpec } from '../device';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** Where the harness page loads its worker from (its `worker` parameter). */
export const CHAOS_WORKER_PATH = '/chaos/parley-chaos-worker.js';

export async function startWebServer(users: readonly UserSpec[]): Promise<WebServer> {
  // Built for each run, from the sources: the production bundles in dist/ come from `npm run build`.
  const chaosDir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-chaos-worker-'));
  await buildWorker(path.join(ROOT, 'test/chaos/browser/chaosWorker.ts'), path.join(chaosDir, path.basename(CHAOS_WORKER_PATH)));
  const files = firstOf(
    staticFiles('/parley/', path.join(ROOT, 'dist/parley')),
    staticFiles('/chaos/', chaosDir),
    staticFiles('/harness/', path.join(ROOT, 'test/e2e/harness')),
  );
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/dev/token') {
      const user = users.find((u) => u.id === url.searchParams.get('user'));
      res.writeHead(user ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(user ? { token: makeToken(TEST_SECRET, user.id, { role: user.role, ...(user.shop ? { shop: user.shop } : {}) }) } : { error: 'unknown user' }));
      return;
    }
    if (!files(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await fs.rm(chaosDir, { recursive: true, force: true });
    },
  };
}
