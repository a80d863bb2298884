/**
 * The wire encoding: superjson text in WebSocket text frames. Decoding is the trust boundary. The
 * protocol needs one thing JSON lacks, an explicit `undefined` field, so that is the only superjson
 * annotation a frame may carry: type annotations (Date, Map, BigInt, classes, ...) and shared
 * references (`referentialEqualities`, which let a 2 kB frame expand into a graph of hundreds of
 * millions of nodes) are refused before any value is used. What is accepted is applied here, by a
 * bounded walk, not by superjson. Prototype-polluting keys are refused anywhere in the text. It
 * never throws: untrusted bytes yield a typed failure.
 */
import * as v from 'valibot';
import superjson from 'superjson';
import { ErrorCode } from './errors';
import { ClientFrame, ServerFrame } from './frames';
import { RequestSchemas, type RequestResult, type RequestType } from './requests';
import { walkJson } from './walk';

/** Keys that would let a payload reach Object.prototype through a careless merge. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Bounds the nesting of a frame; no legitimate frame nests this deep. */
const MAX_DEPTH = 32;
/** Explicit `undefined` fields one frame may mark; ours carry a handful at most. */
const MAX_ANNOTATIONS = 64;

export type Decoded<T> =
  | { ok: true; value: T }
  | { ok: false; code: typeof ErrorCode.INVALID_FRAME | typeof ErrorCode.INVALID_PARAMS; message: string };

type Failure = Extract<Decoded<unknown>, { ok: false }>;
const invalid = (message: string): Failure => ({ ok: false, code: ErrorCode.INVALID_FRAME, message });

/**
 * superjson text for a frame. superjson records an object that appears twice as a shared
 * reference; the peer refuses those, and the JSON part already holds a full copy of each, so the
 * record is dropped: the peer decodes equal copies.
 */
export function encodeFrame(frame: unknown): string {
  const { json, meta } = superjson.serialize(frame);
  if (meta?.values === undefined) return JSON.stringify({ json });
  return JSON.stringify({ json, meta: { values: meta.values, ...(meta.v === undefined ? {} : { v: meta.v }) } });
}

/** An event's part of a push frame, serialized once: see encodePushFrame. */
interface EncodedEvent {
  json: string;
  /** The envelope's meta (the event's undefined fields, their paths under `event`), or null. */
  meta: string | null;
}

/** By event object: the fan-out hands every recipient's socket the same one. */
const encodedEvents = new WeakMap<object, EncodedEvent>();

/**
 * The text of a push frame, as encodeFrame({ t: 'push', cursor, prev, event }) would write it,
 * with the event serialized once however many sockets it is pushed to: only `cursor` and `prev`
 * differ between them. Events are never changed once appended, which makes the cache safe.
 */
export function encodePushFrame(cursor: number, prev: number | undefined, event: object): string {
  let encoded = encodedEvents.get(event);
  if (!encoded) {
    const { json, meta } = superjson.serialize(event);
    let values: Record<string, unknown> | null = null;
    if (meta?.values !== undefined) {
      values = {};
      for (const [path, annotation] of Object.entries(meta.values)) values[`event.${path}`] = annotation;
    }
    encoded = {
      json: JSON.stringify(json),
      meta: values ? JSON.stringify({ values, ...(meta?.v === undefined ? {} : { v: meta.v }) }) : null,
    };
    encodedEvents.set(event, encoded);
  }
  const prevField = prev === undefined ? '' : `"prev":${JSON.stringify(prev)},`;
  const head = `{"json":{"t":"push","cursor":${JSON.stringify(cursor)},${prevField}"event":${encoded.json}}`;
  return encoded.meta === null ? `${head}}` : `${head},"meta":${encoded.meta}}`;
}

/** A forbidden key anywhere, nesting past MAX_DEPTH, or more values than the text could hold. */
function scan(raw: unknown, textLength: number): string | null {
  let bad: string | null = null;
  // JSON.parse yields a tree with at most one value per character of its text.
  const end = walkJson(raw, { maxDepth: MAX_DEPTH, maxNodes: textLength + 1 }, (_, key) => {
    if (key !== undefined && FORBIDDEN_KEYS.has(key)) bad = `forbidden key ${key}`;
    return bad === null;
  });
  if (end === 'too_deep') return 'forbidden key (nesting too deep)';
  if (end === 'too_many_nodes') return 'frame has more values than its text allows';
  return bad;
}

/** superjson's path syntax: segments joined by '.', with '.' and '\' escaped by '\'. */
function parsePath(path: string): string[] | null {
  const segments: string[] = [];
  let segment = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\') {
      const next = path[i + 1];
      if (next !== '.' && next !== '\\') return null;
      segment += next;
      i++;
    } else if (c === '.') {
      segments.push(segment);
      segment = '';
    } else segment += c;
  }
  segments.push(segment);
  return segments;
}

/**
 * Apply the envelope's annotations to `json`: each must mark one existing null field (how superjson
 * writes `undefined`) as undefined. Anything else in `meta` refuses the frame.
 */
function applyMeta(json: unknown, meta: unknown): string | null {
  if (meta === undefined) return null;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return 'frame metadata is malformed';
  for (const key of Object.keys(meta)) {
    if (key === 'referentialEqualities') return 'shared references are not accepted';
    if (key !== 'values' && key !== 'v') return `frame metadata ${key.slice(0, 40)} is not accepted`;
  }
  const values = (meta as { values?: unknown }).values;
  if (values === undefined) return null;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return 'frame metadata is malformed';
  const entries = Object.entries(values);
  if (entries.length > MAX_ANNOTATIONS) return `more than ${MAX_ANNOTATIONS} annotated values`;
  for (const [path, annotation] of entries) {
    if (!Array.isArray(annotation) || annotation.length !== 1 || annotation[0] !== 'undefined') {
      return 'only undefined values may be annotated';
    }
    const segments = parsePath(path);
    if (!segments || segments.length > MAX_DEPTH) return 'an annotation path is malformed';
    let parent: unknown = json;
    for (const s of segments.slice(0, -1)) parent = typeof parent === 'object' && parent !== null && Object.hasOwn(parent, s) ? (parent as Record<string, unknown>)[s] : undefined;
    const last = segments.at(-1)!;
    if (typeof parent !== 'object' || parent === null || !Object.hasOwn(parent, last) || (parent as Record<string, unknown>)[last] !== null) {
      return 'an annotation points at no null value';
    }
    (parent as Record<string, unknown>)[last] = undefined;
  }
  return null;
}

/** Parse superjson text into a plain value, or explain why not. */
export function decodeText(text: string): Decoded<unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return invalid('frame is not valid JSON');
  }
  const bad = scan(raw, text.length);
  if (bad) return invalid(bad);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('json' in raw)) {
    return invalid('frame is not a superjson envelope');
  }
  if (Object.keys(raw).some((k) => k !== 'json' && k !== 'meta')) return invalid('frame envelope has unknown keys');
  const { json, meta } = raw as { json: unknown; meta?: unknown };
  const refused = applyMeta(json, meta);
  return refused ? invalid(refused) : { ok: true, value: json };
}

/** The most specific issue: unions and variants nest the issues of the option that came closest. */
function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  let first = issues[0];
  while (first?.issues?.[0]) first = first.issues[0];
  if (!first) return 'invalid';
  const path = first.path?.map((p) => String(p.key)).join('.') ?? '';
  return path ? `${path}: ${first.message}` : first.message;
}

/** Validate an already-decoded value against a schema. */
export function check<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  code: typeof ErrorCode.INVALID_FRAME | typeof ErrorCode.INVALID_PARAMS = ErrorCode.INVALID_FRAME,
): Decoded<v.InferOutput<S>> {
  const parsed = v.safeParse(schema, value);
  return parsed.success
    ? { ok: true, value: parsed.output }
    : { ok: false, code, message: describe(parsed.issues) };
}

export function decodeClientFrame(text: string): Decoded<ClientFrame> {
  const d = decodeText(text);
  return d.ok ? check(ClientFrame, d.value) : d;
}

export function decodeServerFrame(text: string): Decoded<ServerFrame> {
  const d = decodeText(text);
  return d.ok ? check(ServerFrame, d.value) : d;
}

/** Validate a response's result against what the request type promises. */
export function checkResult<T extends RequestType>(type: T, result: unknown): Decoded<RequestResult<T>> {
  return check(RequestSchemas[type].result, result) as Decoded<RequestResult<T>>;
}
