/**
 * Message content: what a message carries. Known types are validated strictly; a type this build
 * does not know is kept as it came (forward compatibility), so an old client stores and relays a
 * newer client's message untouched and shows it as unsupported.
 */
import * as v from 'valibot';
import { safeUrl } from './safeUrl';
import { walkJson } from './walk';

/** Size cap for one message's content, measured as its JSON encoding in UTF-8 bytes. */
export const MAX_CONTENT_BYTES = 16 * 1024;
export const MAX_TEXT_CHARS = 8000;

/**
 * Links and media in content are absolute http(s) URLs or server-relative paths, exactly as the kit
 * renders them (safeUrl.ts). Anything else (`javascript:`, `data:`, `//host`, `/\\host`) is refused
 * at the door.
 */
export const SafeUrl = v.pipe(
  v.string(),
  v.check((u) => safeUrl(u) !== null, 'must be an http(s) URL or a path starting with a single /'),
);

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(128));

/** A decimal amount as a string ("19.90"): floats would round prices. */
export const Money = v.object({
  amount: v.pipe(v.string(), v.regex(/^-?\d{1,12}(\.\d{1,4})?$/, 'must be a decimal string')),
  currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')),
});

export const TextContent = v.object({
  type: v.literal('text'),
  text: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_TEXT_CHARS)),
});

const Dimension = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(20000));
const Bytes = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

export const ImageContent = v.object({
  type: v.literal('image'),
  url: SafeUrl,
  thumbUrl: SafeUrl,
  width: Dimension,
  height: Dimension,
  bytes: v.optional(Bytes),
  mime: v.optional(v.pipe(v.string(), v.maxLength(64))),
});

export const VoiceContent = v.object({
  type: v.literal('voice'),
  url: SafeUrl,
  durationMs: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(10 * 60 * 1000)),
  bytes: v.optional(Bytes),
  mime: v.optional(v.pipe(v.string(), v.maxLength(64))),
});

export const ProductContent = v.object({
  type: v.literal('product'),
  productId: Id,
  title: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  price: Money,
  imageUrl: v.optional(SafeUrl),
  url: v.optional(SafeUrl),
});

export const OrderContent = v.object({
  type: v.literal('order'),
  orderId: Id,
  status: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
  total: Money,
  title: v.optional(v.pipe(v.string(), v.maxLength(200))),
  itemCount: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  imageUrl: v.optional(SafeUrl),
  url: v.optional(SafeUrl),
});

/**
 * Protocol 5: what a recalled message holds instead of what it said, everywhere (the server keeps no
 * copy). Set by the server only: a send of it is refused.
 */
export const RecalledContent = v.object({ type: v.literal('recalled') });

/**
 * Content types no one may send: `recalled` is the server's, `deleted` marks a message this device
 * deleted for its user alone (never on the wire).
 */
export const RESERVED_CONTENT_TYPES: readonly string[] = ['recalled', 'deleted'];

export const KNOWN_CONTENT_TYPES = ['text', 'image', 'voice', 'product', 'order', 'recalled'] as const;
export type KnownContentType = (typeof KNOWN_CONTENT_TYPES)[number];

const KnownContent = v.variant('type', [
  TextContent,
  ImageContent,
  VoiceContent,
  ProductContent,
  OrderContent,
  RecalledContent,
]);

/**
 * Plain JSON only (no Date, Map, BigInt...): what is stored must be exactly what comes back. The
 * walk is bounded: content within MAX_CONTENT_BYTES cannot hold more values than it has bytes.
 */
function isPlainJson(value: unknown): boolean {
  const plain = (x: unknown): boolean =>
    x === null ||
    typeof x === 'string' ||
    typeof x === 'boolean' ||
    (typeof x === 'number' && Number.isFinite(x)) ||
    Array.isArray(x) ||
    (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype);
  return walkJson(value, { maxDepth: 16, maxNodes: MAX_CONTENT_BYTES }, plain) === 'done';
}

/** A content type from a newer version: its `type` is named, the rest is kept verbatim. */
const UnknownContent = v.pipe(
  v.looseObject({ type: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_.-]{0,63}$/)) }),
  v.check(
    (c) => !(KNOWN_CONTENT_TYPES as readonly string[]).includes(c.type),
    'a known content type with the wrong shape',
  ),
  v.check((c) => isPlainJson(c), 'unknown content must be plain JSON'),
);

export const Content = v.union([KnownContent, UnknownContent]);

export type TextContent = v.InferOutput<typeof TextContent>;
export type ImageContent = v.InferOutput<typeof ImageContent>;
export type VoiceContent = v.InferOutput<typeof VoiceContent>;
export type ProductContent = v.InferOutput<typeof ProductContent>;
export type OrderContent = v.InferOutput<typeof OrderContent>;
export type RecalledContent = v.InferOutput<typeof RecalledContent>;
export type Money = v.InferOutput<typeof Money>;
export type KnownContent = v.InferOutput<typeof KnownContent>;
export type UnknownContent = { type: string; [key: string]: unknown };
export type Content = KnownContent | UnknownContent;

export function isKnownContent(c: Content): c is KnownContent {
  return (KNOWN_CONTENT_TYPES as readonly string[]).includes(c.type);
}

/** UTF-8 size of the content's JSON encoding, the figure MAX_CONTENT_BYTES caps. */
export function contentBytes(c: Content): number {
  return new TextEncoder().encode(JSON.stringify(c)).byteLength;
}
