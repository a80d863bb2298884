/**
 * POST /media?conversationId=…&kind=image|voice|thumb[&uploadId=<uuid>]: store one file for a
 * conversation the caller is a member of. Answers {url, mime, bytes}; `url` is the path clients
 * put in messages. The same uploadId from the same user always answers the first upload's url,
 * so a client retries an upload that was cut mid-way whole, with the same uploadId, and never
 * creates a second file (there are no partial/resumable uploads).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../schema';
import type { Identity } from '../auth/tokens';
import type { MediaRecord } from '../store/Store';
import { BodyError, checkedBody } from './body';
import type { MediaDeps } from './deps';
import { bearer, sendError, sendJson } from './httpAuth';
import { newMediaKey } from './MediaStorage';
import { allowedTypes, MediaKind, type MediaMime } from './sniff';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KINDS: readonly string[] = Object.values(MediaKind);

function limitFor(kind: MediaKind, config: MediaDeps['config']): number {
  if (kind === MediaKind.VOICE) return config.maxVoiceBytes;
  return kind === MediaKind.THUMB ? config.maxThumbBytes : config.maxImageBytes;
}

const answer = (res: ServerResponse, rec: MediaRecord, status: 200 | 201) =>
  sendJson(res, status, { url: `/media/${rec.key}`, mime: rec.mime, bytes: rec.bytes });

/**
 * Refuse mid-body: answer, then stop reading. `Connection: close` makes Node end the socket after
 * the answer instead of draining the rest; the timer only bounds a client that never hangs up.
 */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  req.pause();
  sendError(res, status, code, message, { connection: 'close', ...headers });
  res.on('finish', () => setTimeout(() => req.socket.destroy(), 2000).unref());
}

export async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL, deps: MediaDeps): Promise<void> {
  const { config, store } = deps;
  const conversationId = url.searchParams.get('conversationId');
  const kind = url.searchParams.get('kind') ?? '';
  const uploadId = url.searchParams.get('uploadId');
  if (!conversationId || !KINDS.includes(kind) || (uploadId !== null && !UUID.test(uploadId))) {
    return refuse(req, res, 400, ErrorCode.INVALID_PARAMS, 'needs conversationId, kind=image|voice|thumb and an optional uuid uploadId');
  }
  // Refused before its body is read, and the socket with it: an unread body must not hold it.
  const auth = await bearer(req, deps.tokens, config.now());
  if (auth.kind !== 'ok') {
    const failed = auth.kind === 'failed' ? auth : { code: ErrorCode.AUTH_REQUIRED, message: 'a Bearer token is required' };
    return refuse(req, res, 401, failed.code, failed.message, { 'www-authenticate': 'Bearer' });
  }
  const identity = auth.identity;
  // A missing conversation answers like one the caller is not in, so ids cannot be probed.
  if (!(await store.partyIn(identity, conversationId))) {
    return refuse(req, res, 403, ErrorCode.FORBIDDEN, 'not a member of this conversation');
  }
  const earlier = uploadId ? await store.media.byUpload(identity.userId, uploadId.toLowerCase()) : null;
  if (earlier) return sameUpload(req, res, earlier, conversationId, deps);
  if (!deps.limits.uploads.take(identity.userId)) {
    return refuse(req, res, 429, ErrorCode.RATE_LIMITED, 'too many uploads; slow down', { 'retry-after': '1' });
  }

  const limit = limitFor(kind as MediaKind, config);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    return refuse(req, res, 413, ErrorCode.PAYLOAD_TOO_LARGE, `more than ${limit} bytes`);
  }
  const grant = await deps.quota.reserve(identity.userId, declared > 0 ? declared : limit);
  if (grant.bytes === 0 || (declared > 0 && grant.bytes < declared)) {
    grant.release();
    return refuse(req, res, 413, ErrorCode.PAYLOAD_TOO_LARGE, `over your media storage quota of ${config.mediaQuotaBytes} bytes`);
  }
  try {
    await receive(req, res, deps, { identity, conversationId, kind: kind as MediaKind, uploadId: uploadId?.toLowerCase() ?? null, limit: grant.bytes });
  } finally {
    grant.release();
  }
}

function sameUpload(req: IncomingMessage, res: ServerResponse, earlier: MediaRecord, conversationId: string, deps: MediaDeps): void {
  if (earlier.conversationId !== conversationId) {
    return refuse(req, res, 409, ErrorCode.CONFLICT, 'this uploadId was used for another conversation');
  }
  // The bytes are already stored: do not read them again.
  deps.metrics?.mediaUploads.inc(1, { result: 'repeat' });
  req.pause();
  res.setHeader('connection', 'close');
  answer(res, earlier, 200);
}

interface Upload {
  identity: Identity;
  conversationId: string;
  kind: MediaKind;
  uploadId: string | null;
  limit: number;
}

async function receive(req: IncomingMessage, res: ServerResponse, deps: MediaDeps, u: Upload): Promise<void> {
  const key = newMediaKey();
  let mime: MediaMime | undefined;
  let bytes: number;
  try {
    const body = checkedBody(req, u.limit, allowedTypes(u.kind), (t) => (mime = t));
    // The type is only known once the first bytes arrived; storage reads it when it writes the meta.
    const meta = { get mime() { return mime ?? 'application/octet-stream'; } };
    ({ bytes } = await deps.storage.put(key, body, meta));
  } catch (err) {
    if (!(err instanceof BodyError)) {
      // The client went away mid-upload (or storage failed): nothing was kept.
      deps.metrics?.mediaUploads.inc(1, { result: 'aborted' });
      throw err;
    }
    const code = err.status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_PARAMS;
    return refuse(req, res, err.status, code, err.message);
  }
  const rec: MediaRecord = {
    key,
    conversationId: u.conversationId,
    ownerId: u.identity.userId,
    kind: u.kind,
    mime: mime!,
    bytes,
    uploadId: u.uploadId,
    createdAt: deps.config.now(),
  };
  const { record, created } = await deps.store.media.record(rec);
  // Two concurrent uploads with one uploadId: the later one yields to the first and drops its copy.
  if (!created) await deps.storage.delete(key);
  deps.metrics?.mediaUploads.inc(1, { result: created ? 'stored' : 'repeat' });
  answer(res, record, created ? 201 : 200);
}
