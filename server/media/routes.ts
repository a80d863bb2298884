/** The media endpoints: upload, signed URLs and fetch. Returns false for paths that are not ours. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../schema';
import { applyCors } from './cors';
import type { MediaDeps } from './deps';
import { sendError } from './httpAuth';
import { handleFetch } from './serve';
import { handleUpload } from './upload';
import { handleSign } from './urls';

export type { MediaDeps } from './deps';

export async function handleMediaRoute(req: IncomingMessage, res: ServerResponse, url: URL, deps: MediaDeps): Promise<boolean> {
  const path = url.pathname;
  if (path !== '/media' && !path.startsWith('/media/')) return false;
  if (applyCors(req, res, deps.config.allowedOrigins)) return true;
  const method = req.method ?? 'GET';
  if (path === '/media' && method === 'POST') await handleUpload(req, res, url, deps);
  else if (path === '/media/urls' && method === 'POST') await handleSign(req, res, deps);
  else if ((method === 'GET' || method === 'HEAD') && path.lastIndexOf('/') === '/media'.length) {
    await handleFetch(req, res, url, path.slice('/media/'.length), deps);
  } else sendError(res, 404, ErrorCode.NOT_FOUND, 'no such media route');
  return true;
}
