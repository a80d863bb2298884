/**
 * GET|HEAD /media/<key>: the file, to members of its conversation only.
 *
 * Two ways in, both checked here:
 * - `Authorization: Bearer <token>` (the socket's token) of a current member: for the worker or
 *   service worker, which can set headers.
 * - `?exp=…&sig=…` from POST /media/urls: for `<img src>`/`<audio src>`, which cannot. The server
 *   signs only for members, and the URL expires (mediaUrlTtlS), so a leaked URL stops working;
 *   it cannot notice a member removed before then, which is why the lifetime is bounded.
 * Files are served as the type sniffed at upload with nosniff and a sandboxing CSP, so even a
 * file that slipped past the sniffer cannot run script in the app's origin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ErrorCode } from '../../schema';
import type { MediaDeps } from './deps';
import { bearer, sendError } from './httpAuth';
import { MEDIA_KEY } from './MediaStorage';
import { checkMediaSignature } from './signedUrl';

export const MEDIA_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-disposition': 'inline',
  // Keys are never reused, so the bytes behind a URL never change.
  'cache-control': 'private, max-age=31536000, immutable',
  'content-security-policy': "default-src 'none'; sandbox",
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** 401/403 when the caller may not read media of `conversationId`; null when they may. */
async function denial(req: IncomingMessage, url: URL, key: string, conversationId: string, deps: MediaDeps) {
  const now = deps.config.now();
  const auth = await bearer(req, deps.tokens, now);
  if (auth.kind === 'failed') return { status: 401, code: auth.code, message: auth.message };
  if (auth.kind === 'ok') {
    if (await deps.store.partyIn(auth.identity, conversationId)) return null;
    return { status: 403, code: ErrorCode.FORBIDDEN, message: 'not a member of this conversation' };
  }
  const signed = checkMediaSignature(deps.secret, key, url.searchParams.get('exp'), url.searchParams.get('sig'), now);
  if (signed === 'ok') return null;
  if (signed === 'expired') return { status: 403, code: ErrorCode.TOKEN_EXPIRED, message: 'this media URL has expired' };
  return { status: 401, code: ErrorCode.AUTH_REQUIRED, message: 'needs a Bearer token or a signed URL' };
}

export async function handleFetch(req: IncomingMessage, res: ServerResponse, url: URL, key: string, deps: MediaDeps): Promise<void> {
  // The raw path segment must be a generated key: "../", "%2e%2e" and friends never match.
  const rec = MEDIA_KEY.test(key) ? await deps.store.media.get(key) : null;
  if (!rec) return sendError(res, 404, ErrorCode.NOT_FOUND, 'no such media');
  const denied = await denial(req, url, key, rec.conversationId, deps);
  if (denied) return sendError(res, denied.status, denied.code, denied.message);
  const obj = await deps.storage.get(key);
  if (!obj) return sendError(res, 404, ErrorCode.NOT_FOUND, 'no such media');
  res.writeHead(200, { ...MEDIA_HEADERS, 'content-type': rec.mime, 'content-length': String(obj.meta.bytes), etag: `"${key}"` });
  if (req.method === 'HEAD') {
    obj.body.destroy();
    res.end();
    return;
  }
  await pipeline(obj.body, res).catch(() => res.destroy());
}
