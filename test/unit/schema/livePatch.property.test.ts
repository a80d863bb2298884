/**
 * diffRows and applyPatch agree: whatever two results are, applying the diff of them to the first
 * gives the second, row for row and in order, and rows the diff does not name stay the same objects.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatch, diffRows, rowKey } from '../../../schema/livePatch';
import type { LocalMessage } from '../../../worker/protocol';

const row = (id: string, text: string): LocalMessage => ({
  id,
  senderId: id.startsWith('o') ? 'me' : 'bob',
  conversationId: 'c1',
  seq: null,
  content: { type: 'text', text },
  state: 'received',
  error: null,
  createdAt: 0,
  serverTs: null,
});

/** A page: distinct ids drawn from a small pool (so before and after overlap), texts from a smaller one (so rows repeat). */
const page = fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'o1', 'o2'), fc.constantFrom('x', 'y')), {
  selector: ([id]) => id,
  maxLength: 8,
}).map((rows) => rows.map(([id, text]) => row(id, text)));

describe('live patches', () => {
  it('applying the diff of two pages to the first gives the second', () => {
    fc.assert(
      fc.property(page, page, (before, after) => {
        const patch = diffRows(before, after);
        const applied = patch ? applyPatch(before, patch) : before;
        expect(applied).toEqual(after);
        // Only what changed travels: every upserted row is new or different.
        for (const r of patch?.upsert ?? []) {
          const old = before.find((b) => rowKey(b) === rowKey(r));
          expect(old === undefined || JSON.stringify(old) !== JSON.stringify(r)).toBe(true);
        }
        // Rows the patch leaves alone are the subscriber's own objects.
        for (const r of applied) {
          const old = before.find((b) => rowKey(b) === rowKey(r));
          if (old && JSON.stringify(old) === JSON.stringify(r)) expect(r).toBe(old);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leaves the order out when appending and replacing in place already give it', () => {
    const before = [row('a', 'x'), row('b', 'x')];
    expect(diffRows(before, [row('a', 'x'), row('b', 'y'), row('c', 'x')])).toEqual({ upsert: [row('b', 'y'), row('c', 'x')], remove: [] });
    expect(diffRows(before, [row('b', 'x'), row('a', 'x')])).toEqual({ upsert: [], remove: [], order: ['bob\u0000b', 'bob\u0000a'] });
    expect(diffRows(before, before.map((r) => ({ ...r })))).toBeNull();
  });
});
