/**
 * Signed, expiring media URLs: `/media/<key>?exp=<unix s>&sig=<base64url HMAC>`. They let an
 * `<img src>` or `<audio src>` load media without an Authorization header. The MAC is over a
 * domain-separated string so it can never be confused with (or replayed as) a session token MAC.
 */
import { createHmac } from 'node:crypto';
import { sameSecret } from '../auth/compare';

const mac = (secret: string, key: string, exp: number): Buffer =>
  createHmac('sha256', secret).update(`parley-media-url\n${key}\n${exp}`).digest();

/** A path-only URL for `key` valid until `exp` (seconds since the epoch). */
export function signMediaUrl(secret: string, key: string, exp: number): string {
  return `/media/${key}?exp=${exp}&sig=${mac(secret, key, exp).toString('base64url')}`;
}

export type SignatureCheck = 'ok' | 'expired' | 'invalid';

/** Check `exp`/`sig` query values for `key` at `nowMs`. */
export function checkMediaSignature(secret: string, key: string, exp: string | null, sig: string | null, nowMs: number): SignatureCheck {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return 'invalid';
  // The canonical encoding, compared as text: decoding would ignore stray characters in `sig`.
  if (!sameSecret(sig, mac(secret, key, Number(exp)).toString('base64url'))) return 'invalid';
  return Number(exp) * 1000 > nowMs ? 'ok' : 'expired';
}
