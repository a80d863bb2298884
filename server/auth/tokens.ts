/**
 * Session tokens are JWTs (RFC 7519), so a shop's backend signs them with the JWT library of its
 * own language. The claims Parley reads are below; others are ignored. A token is verified by
 * {@link TokenVerifier} (./TokenVerifier.ts): HS256 with the server's secret on a single machine,
 * EdDSA or ES256 with public keys when the shop's backend keeps the private key.
 */
import { createHmac } from 'node:crypto';
import * as v from 'valibot';
import { EntityId, ErrorCode, RoleSchema, type Role } from '../../schema';

export const TokenClaims = v.object({
  /** User id. */
  sub: EntityId,
  role: RoleSchema,
  /** The shop a merchant works for. */
  shop: v.optional(EntityId),
  /** Display name; defaults to the user id. */
  name: v.optional(v.pipe(v.string(), v.maxLength(80))),
  /** Expiry, seconds since the epoch (required). */
  exp: v.pipe(v.number(), v.integer()),
  /** Not before, seconds since the epoch. */
  nbf: v.optional(v.pipe(v.number(), v.integer())),
  /** Issued at, seconds since the epoch. */
  iat: v.optional(v.pipe(v.number(), v.integer())),
  /** Checked when the server is configured with an issuer. */
  iss: v.optional(v.string()),
  /** Checked when the server is configured with an audience. */
  aud: v.optional(v.union([v.string(), v.array(v.string())])),
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

/**
 * An HS256 JWT of `claims` (what the dev token endpoint and tests issue). A shop's backend would use
 * its own JWT library; this one has no dependency and is synchronous.
 */
export function signToken(secret: string, claims: TokenClaims, header: { kid?: string } = {}): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT', ...header })}.${encode(claims)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/** The identity a verified token's claims name, or why they do not make one. */
export function identityOf(raw: unknown): { ok: true; identity: Identity; exp: number } | { ok: false; message: string } {
  const parsed = v.safeParse(TokenClaims, raw);
  if (!parsed.success) return { ok: false, message: `token claims are malformed: ${parsed.issues[0].message} at ${v.getDotPath(parsed.issues[0]) ?? 'the top'}` };
  const claims = parsed.output;
  if (claims.role === 'merchant' && !claims.shop) return { ok: false, message: 'a merchant token must name its shop' };
  return {
    ok: true,
    exp: claims.exp,
    identity: {
      userId: claims.sub,
      role: claims.role,
      shopId: claims.role === 'merchant' ? (claims.shop ?? null) : null,
      displayName: claims.name ?? claims.sub,
    },
  };
}
