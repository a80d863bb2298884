/**
 * Session tokens: `base64url(claims).base64url(HMAC-SHA256(secret, claims))`. The shop's backend
 * (or the dev endpoint) signs them; the server trusts the claims only after checking the MAC.
 */
import { createHmac } from 'node:crypto';
import * as v from 'valibot';
import { EntityId, ErrorCode, RoleSchema, type Role } from '../../schema';
import { sameSecret } from './compare';

export const TokenClaims = v.object({
  /** User id. */
  sub: EntityId,
  role: RoleSchema,
  /** The shop a merchant works for. */
  shop: v.optional(EntityId),
  /** Display name; defaults to the user id. */
  name: v.optional(v.pipe(v.string(), v.maxLength(80))),
  /** Expiry, seconds since the epoch. */
  exp: v.pipe(v.number(), v.integer()),
});
export type TokenClaims = v.InferOutput<typeof TokenClaims>;

export interface Identity {
  userId: string;
  role: Role;
  shopId: string | null;
  displayName: string;
}

export type Verified =
  | { ok: true; identity: Identity; expiresAt: number }
  | { ok: false; code: typeof ErrorCode.TOKEN_INVALID | typeof ErrorCode.TOKEN_EXPIRED; message: string };

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

export function signToken(secret: string, claims: TokenClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

export function verifyToken(secret: string, token: string, nowMs: number): Verified {
  const invalid = (message: string): Verified => ({ ok: false, code: ErrorCode.TOKEN_INVALID, message });
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return invalid('token is malformed');
  // Compared as text with the canonical encoding: base64url decoding ignores stray characters, so
  // comparing decoded bytes would accept a signature with extra ones.
  if (!sameSecret(sig, mac(secret, body).toString('base64url'))) return invalid('token signature does not match');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return invalid('token claims are not JSON');
  }
  const parsed = v.safeParse(TokenClaims, raw);
  if (!parsed.success) return invalid('token claims are malformed');
  const claims = parsed.output;
  if (claims.role === 'merchant' && !claims.shop) return invalid('a merchant token must name its shop');
  if (claims.exp * 1000 <= nowMs) {
    return { ok: false, code: ErrorCode.TOKEN_EXPIRED, message: 'token expired' };
  }
  return {
    ok: true,
    expiresAt: claims.exp * 1000,
    identity: {
      userId: claims.sub,
      role: claims.role,
      shopId: claims.role === 'merchant' ? (claims.shop ?? null) : null,
      displayName: claims.name ?? claims.sub,
    },
  };
}
