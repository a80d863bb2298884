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
