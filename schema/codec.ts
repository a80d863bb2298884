/**
 * The wire encoding: superjson text in WebSocket text frames. Decoding is the trust boundary, so it
 * refuses prototype-polluting keys anywhere in the tree before any value is used, and validates the
 * result against a schema. It never throws: untrusted bytes yield a typed failure.
 */
import * as v from 'valibot';
import superjson from 'superjson';
import { ErrorCode } from './errors';
import { ClientFrame, ServerFrame } from './frames';
import { RequestSchemas, type RequestResult, type RequestType } from './requests';

/** Keys that would let a payload reach Object.prototype through a careless merge. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Bounds the recursion of the key scan; no legitimate frame nests this deep. */
const MAX_DEPTH = 32;

export type Decoded<T> =
  | { ok: true; value: T }
  | { ok: false; code: typeof ErrorCode.INVALID_FRAME | typeof ErrorCode.INVALID_PARAMS; message: string };

export function encodeFrame(frame: unknown): string {
  return superjson.stringify(frame);
}

function findForbiddenKey(value: unknown, depth: number): string | null {
  if (typeof value !== 'object' || value === null) return null;
  if (depth > MAX_DEPTH) return '(nesting too deep)';
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return key;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], depth + 1);
    if (found) return found;
  }
  return null;
}

/** Parse superjson text into a plain value, or explain why not. */
export function decodeText(text: string): Decoded<unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.INVALID_FRAME, message: 'frame is not valid JSON' };
  }
  const bad = findForbiddenKey(raw, 0);
  if (bad) return { ok: false, code: ErrorCode.INVALID_FRAME, message: `forbidden key ${bad}` };
  if (typeof raw !== 'object' || raw === null || !('json' in raw)) {
    return { ok: false, code: ErrorCode.INVALID_FRAME, message: 'frame is not a superjson envelope' };
  }
  try {
    return { ok: true, value: superjson.deserialize(raw as Parameters<typeof superjson.deserialize>[0]) };
  } catch {
    return { ok: false, code: ErrorCode.INVALID_FRAME, message: 'frame metadata is malformed' };
  }
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
