/** An HTTP answer from the media endpoints → the ParleyError the outbox acts on (retry or fail). */
import { ErrorCode, ParleyError } from '../../schema';
import type { HttpAnswer } from './MediaHttp';

const KNOWN = new Set<string>(Object.values(ErrorCode));

function byStatus(status: number): ErrorCode {
  if (status === 401) return ErrorCode.TOKEN_INVALID;
  if (status === 403) return ErrorCode.FORBIDDEN;
  if (status === 404) return ErrorCode.NOT_FOUND;
  if (status === 409) return ErrorCode.CONFLICT;
  if (status === 413) return ErrorCode.PAYLOAD_TOO_LARGE;
  if (status === 429) return ErrorCode.RATE_LIMITED;
  if (status >= 500) return ErrorCode.INTERNAL; // retryable
  return ErrorCode.INVALID_PARAMS;
}

/** The server's own code when it sent one we know (server/media/httpAuth.ts sendError), else one by status. */
export function httpError(what: string, answer: HttpAnswer): ParleyError {
  const body = answer.body as { code?: unknown; message?: unknown } | null;
  // A 5xx is the server's trouble whatever it says: keep it retryable.
  const code = answer.status < 500 && typeof body?.code === 'string' && KNOWN.has(body.code) ? (body.code as ErrorCode) : byStatus(answer.status);
  const message = typeof body?.message === 'string' ? body.message : `HTTP ${answer.status}`;
  return new ParleyError(code, `${what}: ${message}`);
}
