/**
 * The gates every URL passes before the kit renders it: `safeUrl` for links and images (the same
 * check the server's validators run), and media refs and their resolved sources.
 */
import { safeUrl, UNSAFE_URL_CHARS } from '../schema/safeUrl';

export { safeUrl };

/**
 * A card image's URL, if the kit may load it: a path on this page's origin, or an absolute URL on
 * this origin or one of `allowedOrigins`. A path is a GET to the storefront with its cookies, like
 * any of its own images (state-changing GETs are the storefront's bug either way); any other host
 * would learn each reader's IP address and reading time, so it is left out.
 */
export function cardImageUrl(value: unknown, allowedOrigins: readonly string[], pageOrigin: string | null): string | null {
  const url = safeUrl(value);
  if (url === null || url.startsWith('/')) return url;
  const origin = new URL(url).origin;
  return origin === pageOrigin || allowedOrigins.includes(origin) ? url : null;
}

/** A local media ref: a file stored on this device and not uploaded yet (`local:<id>`). */
const LOCAL_REF = /^local:[A-Za-z0-9_-]{1,128}$/;

/** Whether `value` is something ParleyClient.mediaUrl can resolve: a `local:` ref or a safe URL. */
export function isMediaRef(value: unknown): value is string {
  return typeof value === 'string' && (LOCAL_REF.test(value) || safeUrl(value) !== null);
}

/**
 * What the client resolved `ref` to, if it may go into an `<img>`/`<audio>` src: a safe URL, or a
 * `blob:` URL of this origin, accepted only for a `local:` ref (the client made it from bytes stored
 * on this device; it is never used as a link).
 */
export function safeMediaSrc(resolved: unknown, ref: string): string | null {
  if (typeof resolved !== 'string') return null;
  if (resolved.startsWith('blob:')) {
    if (!LOCAL_REF.test(ref) || UNSAFE_URL_CHARS.test(resolved) || resolved.length > 2048) return null;
    const origin = typeof location === 'undefined' ? null : location.origin;
    return origin === null || resolved.startsWith(`blob:${origin}/`) ? resolved : null;
  }
  return safeUrl(resolved);
}
