/** A browser's tabs against its database and against each other (viewDiffs.ts). */
import { describe, expect, it } from 'vitest';
import type { DeviceRow } from '../checker';
import { viewDiffs, type ViewRow } from './viewDiffs';

const row = (id: string, seq: number | null, state: DeviceRow['state'] = 'received'): DeviceRow => ({ id, senderId: 'bob', conversationId: 'c1', seq, state, text: id });
const view = (r: DeviceRow): ViewRow => ({ id: r.id, senderId: r.senderId, conversationId: r.conversationId, seq: r.seq, state: r.state });
const stored = [row('m1', 1), row('m2', 2)];

describe('view diffs', () => {
  it('finds none when every tab lists what the database holds', () => {
    const tab = { c1: stored.map(view) };
    expect(viewDiffs('b', ['c1'], stored, [tab, tab])).toEqual([]);
  });

  it('finds a first tab that misses a stored message or shows another state, even when every tab agrees', () => {
    const missing = { c1: [view(row('m1', 1))] };
    expect(viewDiffs('b', ['c1'], stored, [missing, missing])).toEqual(['tab 0 of b shows 1 messages in c1, the database holds 2, or in other states']);
    const stale = { c1: [view(row('m1', 1)), view(row('m2', 2, 'sent'))] };
    expect(viewDiffs('b', ['c1'], stored, [stale])).toHaveLength(1);
  });

  it('finds a tab whose list differs from the first open one', () => {
    const tab = { c1: stored.map(view) };
    const behind = { c1: [view(row('m1', 1))] };
    expect(viewDiffs('b', ['c1'], stored, [null, tab, behind])).toEqual(['tab 2 of b shows 1 messages in c1, tab 1 2, or in other states']);
  });

  it('reports a device with no open tab', () => {
    expect(viewDiffs('b', ['c1'], stored, [null, null])).toEqual(['no tab of b is open']);
  });
});
