/**
 * Verifies session tokens (JWTs) with jose. Which keys and algorithms count:
 * - public keys (a key file or a JWKS URL): EdDSA (Ed25519) and ES256, so the Parley server holds
 *   no key that can mint a token; HS256 is then refused, except in dev mode (the dev tokens);
 * - no public keys: HS256 with the server's secret, the single-machine default.
 * `exp` is required; `exp` and `nbf` are checked with {@link CLOCK_SKEW_S} of tolerance for the
 * issuer's clock; `iss` and `aud` when configured. Every failure is TOKEN_INVALID, except a token
 * that is genuine but expired (TOKEN_EXPIRED), so a client knows to fetch a new one.
 */
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ErrorCode } from '../../schema';
import { fileKeySet, remoteKeySet, type KeySet } from './keySets';
import { identityOf, type Verified } from './tokens';

/** Tolerance for the issuer's clock, on `exp` and `nbf`; a session also ends this long after `exp`. */
export const CLOCK_SKEW_S = 30;

const PUBLIC_KEY_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256'] as const;

export interface TokenSettings {
  /** A PEM public key (SPKI) or a JWKS (JSON) file; re-read when a token names a `kid` it lacks. */
  publicKeyFile?: string;
  /** A JWKS URL (the shop's `/.well-known/jwks.json`); fetched again for an unknown `kid`. */
  jwksUrl?: string;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud` (one of the token's), when set. */
  audience?: string;
  /** After a JWKS fetch, none again for this long, even for an unknown `kid` (default 30 s). */
  jwksCooldownMs?: number;
}

export interface VerifierOptions {
  /** Accept HS256 beside public keys (dev mode: the dev tokens). */
  allowHs256WithPublicKeys?: boolean;
  /** The clock a key file's re-read interval runs on. */
  now?: () => number;
}

/** A compact JWS: three base64url segments, each in its one canonical form. */
function canonicalJws(token: string): boolean {
  const parts = token.split('.');
  // A decoder skips characters outside the alphabet and ignores a last character's spare bits, so
  // two spellings could verify as one: only the canonical spelling of each segment is accepted.
  return parts.length === 3 && parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p) && Buffer.from(p, 'base64url').toString('base64url') === p);
}

export class TokenVerifier {
  readonly #keys: KeySet | null;
  readonly #secret: Uint8Array;
  readonly #algorithms: string[];
  readonly #settings: TokenSettings;

  /** @param secret the HS256 key (the server's secret) */
  constructor(secret: string, settings: TokenSettings = {}, options: VerifierOptions = {}) {
    if (settings.publicKeyFile && settings.jwksUrl) throw new Error('tokens: give a public key file or a JWKS URL, not both');
    this.#settings = settings;
    this.#secret = new TextEncoder().encode(secret);
    this.#keys = settings.publicKeyFile
      ? fileKeySet(settings.publicKeyFile, options.now)
      : settings.jwksUrl
        ? remoteKeySet(settings.jwksUrl, settings.jwksCooldownMs)
        : null;
    this.#algorithms = this.#keys ? [...PUBLIC_KEY_ALGORITHMS, ...(options.allowHs256WithPublicKeys ? ['HS256'] : [])] : ['HS256'];
  }

  async verify(token: string, nowMs: number): Promise<Verified> {
    const invalid = (message: string): Verified => ({ ok: false, code: ErrorCode.TOKEN_INVALID, message });
    if (!canonicalJws(token)) return invalid('token is not a compact JWT');
    const keys = this.#keys;
    const getKey: JWTVerifyGetKey = async (header) => (header.alg === 'HS256' || !keys ? this.#secret : keys.get(header));
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: this.#algorithms,
        clockTolerance: CLOCK_SKEW_S,
        currentDate: new Date(nowMs),
        requiredClaims: ['exp', 'sub'],
        ...(this.#settings.issuer !== undefined ? { issuer: this.#settings.issuer } : {}),
        ...(this.#settings.audience !== undefined ? { audience: this.#settings.audience } : {}),
      }));
    } catch (err) {
      // Matched by code: jose's classes are not ours to rely on across versions.
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return { ok: false, code: ErrorCode.TOKEN_EXPIRED, message: 'token expired' };
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') return invalid(`token keys unavailable: ${(err as Error).message}`);
      return invalid(`token rejected: ${(err as Error).message}`);
    }
    const named = identityOf(payload);
    if (!named.ok) return invalid(named.message);
    return { ok: true, identity: named.identity, expiresAt: (named.exp + CLOCK_SKEW_S) * 1000 };
  }
}
