/** Drawn against applied faults: what a run that did not strike as drawn reports. */
import { describe, expect, it } from 'vitest';
import { drawnFaults, faultShortfalls } from './appliedFaults';
import type { Action } from './schedule';

describe('fault shortfalls', () => {
  it('counts what the schedule drew, a browser crash as browser-kill and a Node crash not at all', () => {
    const schedule: Action[] = [
      { at: 1, kind: 'fault', fault: { kind: 'kill', downMs: 100 }, durationMs: 1_000 },
      { at: 2, kind: 'fault', fault: { kind: 'cut', targets: ['bob.1'] }, durationMs: 1_000 },
      { at: 3, kind: 'fault', fault: { kind: 'cut', targets: ['bob.1'] }, durationMs: 1_000 },
      { at: 4, kind: 'restart', device: 'alice.web', how: 'crash', downMs: 0 },
      { at: 5, kind: 'restart', device: 'alice.1', how: 'crash', downMs: 0 },
      { at: 6, kind: 'browser', device: 'alice.web', fault: { kind: 'worker-close' } },
    ];
    expect(drawnFaults(schedule)).toEqual({ kill: 1, cut: 2, 'browser-kill': 1, 'worker-close': 1 });
  });

  it('names a kind never applied, a crash point that never killed, and a death nobody caused', () => {
    const r = {
      drawn: { cut: 1, 'crash-respond': 1, kill: 1, freeze: 1 },
      faults: { 'crash-respond': 1, kill: 1 },
      serverDeaths: { kill: 1, 'unexpected (exit 1)': 1 },
    };
    expect(faultShortfalls(r, ['freeze'])).toEqual([
      'cut: drawn 1, never applied',
      'crash-respond: applied 1, the server never died of it',
      'server died 1× of unexpected (exit 1), which no fault caused',
    ]);
  });

  it('is empty when every drawn fault struck', () => {
    expect(faultShortfalls({ drawn: { cut: 2, kill: 1 }, faults: { cut: 2, kill: 1 }, serverDeaths: { kill: 1 } })).toEqual([]);
  });
});
