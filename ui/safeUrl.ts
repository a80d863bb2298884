/**
 * The one gate every URL passes before the kit renders it as a link or an image source.
 *
 * Allowed: absolute `http:`/`https:` URLs, and server-relative paths starting with a single `/`.
 * Refused: every other scheme (`javascript:`, `data:`, `vbscript:`, `blob:`...), protocol-relative
 * `//host`, `/\host` (browsers treat the backslash as a slash), and anything with whitespace or
 * control characters (which browsers strip, so `java\tscript:` would otherwise slip through).
 */
const UNSAFE_CHARS = /[\s\u0000-\u001f\u007f\\]/;

/** The URL if it may be rendered as a link or image, else null. Pure: no DOM, safe in Node. */
export function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return null;
  if (UNSAFE_CHARS.test(value)) return null;
  if (value.startsWith('/')) return value.startsWith('//') ? null : value;
  if (!/^https?:\/\//i.test(value)) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
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
    if (!LOCAL_REF.test(ref) || UNSAFE_CHARS.test(resolved) || resolved.length > 2048) return null;
    const origin = typeof location === 'undefined' ? null : location.origin;
    return origin === null || resolved.startsWith(`blob:${origin}/`) ? resolved : null;
  }
  return safeUrl(resolved);
}
