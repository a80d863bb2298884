/**
 * Bounds on what a bounded chaos run may leave unmade, so that a regression that makes many sends
 * fail fails the run even when every failure is matched to a fault (rejections.ts).
 */
import type { DisruptionKind } from './rejections';
import { MAX_BURST } from './schedule';

const EXPLAINING: readonly DisruptionKind[] = ['browser-kill', 'worker-close', 'tab-reload', 'quota'];

/**
 * Sends a run may leave unmade (`refused`): only a fault that disrupts a browser can explain one,
 * and each such fault costs at most a burst. A kill, a closed worker or a reloaded tab strikes the
 * one burst its device has in flight (a device's bursts queue behind each other), at most
 * MAX_BURST sends. A quota episode refuses what its browser sends while it lasts (1 to 5 s): a
 * burst every 2.5 s on average, at most 8 sends each, so one MAX_BURST covers it too. Node devices
 * have no such fault: their sends only store locally, in turn with their restarts, so none may
 * be refused.
 */
export function refusedBound(applied: Record<string, number>): number {
  return EXPLAINING.reduce((n, kind) => n + (applied[kind] ?? 0), 0) * MAX_BURST;
}

/**
 * Messages the engine may give up on (8 failed attempts, by design) in a bounded run: none. A
 * fault episode fails a message's attempt at most twice (3 s request timeouts in an episode of at
 * most 5 s), and the healthy link between two episodes sends it.
 */
export const GAVE_UP_BOUND = 0;
