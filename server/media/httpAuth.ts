/** Small HTTP helpers the media routes share: JSON answers and Bearer-token authentication. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../schema';
import type { TokenVerifier } from '../auth/TokenVerifier';
import type { Identity } from '../auth/tokens';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export const sendError = (res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void =>
  sendJson(res, status, { code, message }, headers);

export type BearerResult = { kind: 'none' } | { kind: 'ok'; identity: Identity } | { kind: 'failed'; code: ErrorCode; message: string };

/** The caller named by `Authorization: Bearer <token>` (the socket's tokens), if any. */
export async function bearer(req: IncomingMessage, tokens: Pick<TokenVerifier, 'verify'>, nowMs: number): Promise<BearerResult> {
  const header = req.headers.authorization;
  if (!header) return { kind: 'none' };
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return { kind: 'failed', code: ErrorCode.TOKEN_INVALID, message: 'expected "Authorization: Bearer <token>"' };
  const verified = await tokens.verify(m[1]!, nowMs);
  return verified.ok ? { kind: 'ok', identity: verified.identity } : { kind: 'failed', code: verified.code, message: verified.message };
}

/** The authenticated caller, or null after answering 401. */
export async function requireBearer(req: IncomingMessage, res: ServerResponse, tokens: Pick<TokenVerifier, 'verify'>, nowMs: number): Promise<Identity | null> {
  const auth = await bearer(req, tokens, nowMs);
  if (auth.kind === 'ok') return auth.identity;
  const failed = auth.kind === 'failed' ? auth : { code: ErrorCode.AUTH_REQUIRED, message: 'a Bearer token is required' };
  sendError(res, 401, failed.code, failed.message, { 'www-authenticate': 'Bearer' });
  return null;
}
