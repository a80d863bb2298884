/**
 * The codec against hostile superjson metadata. What may cost the receiver work is bounded by the
 * text: a decoded frame is a tree (no object reachable twice) with no more values than the text
 * has characters, whatever the metadata says, and decoding never throws. Our own encoder's frames,
 * `undefined` fields and repeated objects included, still decode to what was sent.
 */
import fc from 'fast-check';
import * as v from 'valibot';
import superjson from 'superjson';
import { describe, expect, it, vi } from 'vitest';
import { Content, decodeClientFrame, decodeText, encodeFrame, encodePushFrame, ErrorCode } from '../../../schema';
import { sharedArrayFrame } from './hostileGraph';

/** Values in `root`, each visit counted, failing if one object is reached twice (a DAG). */
function treeSize(root: unknown): number {
  const seen = new Set<object>();
  let n = 0;
  const stack = [root];
  while (stack.length > 0) {
    const x = stack.pop();
    n++;
    if (typeof x !== 'object' || x === null) continue;
    if (seen.has(x)) throw new Error('a decoded frame shares an object');
    seen.add(x);
    stack.push(...(Array.isArray(x) ? x : Object.values(x)));
  }
  return n;
}

const segment = fc.oneof(fc.constantFrom('json', 'params', 'content', 'a', '0', '1', 'b', '__proto__', ''), fc.string({ maxLength: 4 }));
const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('.'));
const annotation = fc.oneof(
  fc.constantFrom(['undefined'], ['Date'], ['bigint'], ['map'], ['set'], ['regexp'], ['symbol', 'x'], ['class', 'Foo'], ['custom', 'x'], ['number']),
  fc.jsonValue(),
);
const meta = fc.record(
  {
    values: fc.oneof(fc.dictionary(path, annotation, { maxKeys: 8 }), fc.jsonValue()),
    referentialEqualities: fc.oneof(fc.dictionary(path, fc.array(path, { maxLength: 8 }), { maxKeys: 8 }), fc.array(path)),
    v: fc.oneof(fc.constant(1), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const json = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.integer(),
    fc.string({ maxLength: 8 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(segment, tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('decoding hostile superjson', () => {
  it('refuses shared references before expanding them (a 2 kB frame that would be ~280M nodes)', () => {
    const text = sharedArrayFrame({ fanOut: 7, depth: 10, conversationId: 'c_made_up' });
    expect(text.length).toBeLessThan(4096);
    const decoded = decodeClientFrame(text);
    expect(decoded).toMatchObject({ ok: false, code: ErrorCode.INVALID_FRAME, message: 'shared references are not accepted' });
  });

  it('refuses every annotation but undefined', () => {
    const dated = JSON.stringify({ json: { t: 'ping', ts: '1970-01-01T00:00:00.000Z' }, meta: { values: { ts: ['Date'] }, v: 1 } });
    expect(decodeClientFrame(dated)).toMatchObject({ ok: false, message: 'only undefined values may be annotated' });
    const custom = JSON.stringify({ json: { t: 'ping', ts: 1 }, meta: { values: {}, custom: 1 } });
    expect(decodeClientFrame(custom)).toMatchObject({ ok: false, message: 'frame metadata custom is not accepted' });
  });

  it('decodes any metadata to a tree no bigger than its text, or refuses it; it never throws', () => {
    fc.assert(
      fc.property(json, fc.option(meta, { nil: undefined }), (body, m) => {
        const text = JSON.stringify(m === undefined ? { json: body } : { json: body, meta: m });
        const decoded = decodeText(text);
        if (decoded.ok) expect(treeSize(decoded.value)).toBeLessThanOrEqual(text.length + 1);
        else expect(decoded.code).toBe(ErrorCode.INVALID_FRAME);
        if (m?.referentialEqualities !== undefined) expect(decoded.ok).toBe(false);
      }),
      { numRuns: 2000, seed: 20261204 },
    );
  });
});

describe('encoding our own frames', () => {
  it('round-trips undefined fields and repeated objects as equal copies', () => {
    const message = { id: 'm', seq: 1 };
    const frame = { t: 'res', id: 'r1', ok: true, result: { a: message, b: message, c: undefined, list: [1, undefined, message] } };
    const text = encodeFrame(frame);
    expect(text).not.toContain('referentialEqualities');
    const decoded = decodeText(text);
    expect(decoded.ok).toBe(true);
    const value = (decoded as { value: typeof frame }).value;
    expect(value).toEqual(frame);
    expect('c' in value.result && value.result.c === undefined).toBe(true);
    expect(value.result.list[1]).toBeUndefined();
    expect(treeSize(value)).toBeGreaterThan(0);
  });

  it('an optional request field sent as undefined validates as absent', () => {
    const decoded = decodeClientFrame(encodeFrame({ t: 'auth', v: 1, token: 't', deviceId: 'd', cursor: undefined }));
    expect(decoded).toMatchObject({ ok: true, value: { t: 'auth', deviceId: 'd' } });
  });
});

describe('push frames encoded once per event', () => {
  // Event-shaped values: keys with dots and backslashes (superjson escapes them in paths),
  // undefined fields, unicode, one object twice.
  const key = fc.oneof(fc.constantFrom('a', 'b.c', 'd\\e', 'text', '发货'), fc.string({ maxLength: 5 }));
  const leaf = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), fc.string({ maxLength: 8 }));
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(key, tie('tree'), { maxKeys: 4 })),
  }));
  const event = fc.dictionary(key, tree, { maxKeys: 5 }).filter((e) => !Object.keys(e).some((k) => ['__proto__', 'constructor', 'prototype'].includes(k)));

  it('writes what encodeFrame writes, for any event and any cursor and prev', () => {
    fc.assert(
      fc.property(event, fc.nat(), fc.option(fc.nat(), { nil: undefined }), (e, cursor, prev) => {
        const frame = { t: 'push', cursor, ...(prev === undefined ? {} : { prev }), event: e };
        const once = encodePushFrame(cursor, prev, e);
        expect(JSON.parse(once)).toEqual(JSON.parse(encodeFrame(frame)));
        expect(decodeText(once)).toEqual(decodeText(encodeFrame(frame)));
      }),
    );
  });

  it('serializes an event once for every socket it goes to', () => {
    const e = { kind: 'message', message: { id: 'm1', content: { type: 'text', text: 'hi' }, note: undefined } };
    const serialize = vi.spyOn(superjson, 'serialize');
    try {
      const texts = Array.from({ length: 31 }, (_, i) => encodePushFrame(100, 90 + (i % 3), e));
      expect(serialize).toHaveBeenCalledTimes(1);
      expect(texts.map((t) => decodeText(t))).toEqual(texts.map((_, i) => decodeText(encodeFrame({ t: 'push', cursor: 100, prev: 90 + (i % 3), event: e }))));
    } finally {
      serialize.mockRestore();
    }
  });
});

describe('content validation', () => {
  it('walks unknown content within a node budget, so a shared graph built in memory is refused at once', () => {
    let level: unknown[] = Array.from({ length: 7 }, () => 1);
    for (let d = 1; d < 12; d++) level = Array.from({ length: 7 }, () => level);
    // 7^12 (~14 billion) visits without the budget.
    expect(v.safeParse(Content, { type: 'x.graph', a: level }).success).toBe(false);
    expect(v.safeParse(Content, { type: 'x.small', a: [[1, 2], { b: 'c' }] }).success).toBe(true);
  });
});
