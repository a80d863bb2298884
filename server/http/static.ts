/** Serves files under a root directory: no traversal, explicit content types, nosniff. */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/**
 * A handler serving `urlPrefix/*` from `rootDir`. Returns false when the path is not ours or the
 * file does not exist, so handlers can be chained.
 */
export function staticFiles(urlPrefix: string, rootDir: string, opts: { index?: string } = {}) {
  const root = path.resolve(rootDir);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return false; // malformed escapes: not a file of ours
    }
    if (!pathname.startsWith(urlPrefix)) return false;
    let rel = pathname.slice(urlPrefix.length);
    if (rel === '' || rel.endsWith('/')) rel += opts.index ?? 'index.html';
    const file = path.resolve(root, `.${path.sep}${rel}`);
    if (!file.startsWith(root + path.sep)) return false;
    return sendIfFile(req, res, file);
  };
}

/**
 * A handler serving one file at the given exact paths (any query), e.g. a page at `/` and a
 * service worker at `/sw.js`. Returns false for other paths, or if the file does not exist.
 */
export function staticFile(urlPaths: readonly string[], file: string) {
  const paths = new Set(urlPaths);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!paths.has(new URL(req.url ?? '/', 'http://localhost').pathname)) return false;
    return sendIfFile(req, res, file);
  };
}

/** Send `file` if it exists and is a regular file; false otherwise, so handlers can chain. */
function sendIfFile(req: IncomingMessage, res: ServerResponse, file: string): boolean {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return false;
  }
  if (!stat.isFile()) return false;
  sendFile(req, res, file, stat.size);
  return true;
}

/** Chains handlers: the first that serves the request wins. */
export function firstOf(...handlers: ((req: IncomingMessage, res: ServerResponse) => boolean)[]) {
  return (req: IncomingMessage, res: ServerResponse): boolean => handlers.some((h) => h(req, res));
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, size: number): void {
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    'x-content-type-options': 'nosniff',
    // Bundles are versioned by name inside; revalidate so a deploy is seen at once.
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file).pipe(res);
}
