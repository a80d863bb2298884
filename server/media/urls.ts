/**
 * POST /media/urls {keys: string[]} with a Bearer token: signed, expiring URLs for the keys whose
 * conversation the caller is a member of (others are left out). A receiver calls this for the
 * `/media/<key>` paths it finds in messages and puts the answers in `<img src>`/`<audio src>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../schema';
import type { MediaDeps } from './deps';
import { requireBearer, sendError, sendJson } from './httpAuth';
import { MEDIA_KEY } from './MediaStorage';
import { signMediaUrl } from './signedUrl';

const MAX_KEYS = 100;
const MAX_BODY = 8 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_BODY) throw new Error('body too large');
  }
  return JSON.parse(text);
}

/** Accepts `/media/<key>` paths as well as bare keys, so clients can pass message URLs as they are. */
const toKey = (k: unknown): string | null => {
  const key = typeof k === 'string' ? k.replace(/^\/media\//, '') : '';
  return MEDIA_KEY.test(key) ? key : null;
};

export async function handleSign(req: IncomingMessage, res: ServerResponse, deps: MediaDeps): Promise<void> {
  const identity = await requireBearer(req, res, deps.tokens, deps.config.now());
  if (!identity) return;
  let keys: unknown;
  try {
    keys = ((await readJson(req)) as { keys?: unknown }).keys;
  } catch {
    return sendError(res, 400, ErrorCode.INVALID_PARAMS, `expected JSON {keys: string[]} under ${MAX_BODY} bytes`);
  }
  if (!Array.isArray(keys) || keys.length > MAX_KEYS) {
    return sendError(res, 400, ErrorCode.INVALID_PARAMS, `keys must be an array of at most ${MAX_KEYS}`);
  }
  const expiresAt = Math.floor(deps.config.now() / 1000) + deps.config.mediaUrlTtlS;
  const urls: Record<string, string> = {};
  for (const k of keys) {
    const key = toKey(k);
    const rec = key ? await deps.store.media.get(key) : null;
    if (rec && (await deps.store.partyIn(identity, rec.conversationId))) {
      urls[k as string] = signMediaUrl(deps.secret, rec.key, expiresAt);
    }
  }
  sendJson(res, 200, { urls, expiresAt: expiresAt * 1000 });
}
