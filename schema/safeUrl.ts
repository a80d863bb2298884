/**
 * The one URL check for links and images in message content, used by the server's validators and
 * the UI kit alike (so what the server stores is what the kit renders).
 *
 * Allowed: absolute `http:`/`https:` URLs, and server-relative paths starting with a single `/`.
 * Refused: every other scheme (`javascript:`, `data:`, `vbscript:`, `blob:`...), protocol-relative
 * `//host`, `/\host` (browsers treat the backslash as a slash, so it is another host), and anything
 * with whitespace, control characters or a backslash (browsers strip or rewrite them, so
 * `java\tscript:` would otherwise slip through).
 */
/** Whitespace, control characters and backslashes: browsers strip or rewrite them. */
export const UNSAFE_URL_CHARS = /[\s\u0000-\u001f\u007f\\]/;
export const MAX_URL_LENGTH = 2048;

/** The URL if it may be rendered as a link or image, else null. Pure: no DOM, safe in Node. */
export function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) return null;
  if (UNSAFE_URL_CHARS.test(value)) return null;
  if (value.startsWith('/')) return value.startsWith('//') ? null : value;
  if (!/^https?:\/\//i.test(value)) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
}
