/** The presence board alone: aggregation per shop across this node and others, reported once per change. */
import { describe, expect, it } from 'vitest';
import type { Presence } from '../../../schema';
import { PresenceBoard } from '../../../server/signals/PresenceBoard';

function board() {
  const b = new PresenceBoard();
  const changes: Presence[][] = [];
  b.onChange((c) => changes.push(c));
  return { b, changes };
}

const agentA = { userId: 'a', shopId: 'shop' };
const agentB = { userId: 'b', shopId: 'shop' };

describe('PresenceBoard', () => {
  it('reports a shop online with its first agent and offline after its last, once each', () => {
    const { b, changes } = board();
    b.connected(agentA);
    b.connected(agentA);
    b.connected(agentB);
    b.disconnected(agentA);
    b.disconnected(agentA);
    b.disconnected(agentB);
    expect(changes).toEqual([
      [
        { id: 'a', kind: 'user', state: 'online' },
        { id: 'shop', kind: 'shop', state: 'online' },
      ],
      [{ id: 'b', kind: 'user', state: 'online' }],
      [{ id: 'a', kind: 'user', state: 'offline' }],
      [
        { id: 'b', kind: 'user', state: 'offline' },
        { id: 'shop', kind: 'shop', state: 'offline' },
      ],
    ]);
  });

  it('counts agents on other nodes, replaces a full table, and forgets a node not heard from', () => {
    const { b, changes } = board();
    b.connected(agentA);
    b.setStatus('a', 'away');
    expect(b.stateOf('shop', 'shop')).toBe('away');
    b.heard('node-2', [['b', { shopId: 'shop', status: 'online' }]], true, 1_000);
    expect(b.stateOf('shop', 'shop')).toBe('online');
    // A full table without b: b left that node.
    b.heard('node-2', [['c', { shopId: null, status: 'online' }]], true, 2_000);
    expect(b.stateOf('shop', 'shop')).toBe('away');
    expect(b.stateOf('user', 'b')).toBe('offline');
    b.heard('node-3', [['b', { shopId: 'shop', status: 'online' }]], false, 5_000);
    b.expire(3_000);
    expect(b.stateOf('user', 'c')).toBe('offline');
    expect(b.stateOf('shop', 'shop')).toBe('online');
    b.expire(6_000);
    expect(b.stateOf('shop', 'shop')).toBe('away');
    expect(changes.flat().filter((c) => c.kind === 'shop').map((c) => c.state)).toEqual(['online', 'away', 'online', 'away', 'online', 'away']);
  });

  it('keeps an explicit status only while the user is connected', () => {
    const { b } = board();
    expect(b.setStatus('a', 'away')).toBe(false);
    b.connected(agentA);
    b.setStatus('a', 'away');
    b.disconnected(agentA);
    b.connected(agentA);
    expect(b.stateOf('user', 'a')).toBe('online');
  });
});
