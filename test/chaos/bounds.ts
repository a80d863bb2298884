/**
 * Bounds on what a bounded chaos run may leave unmade, so that a regression that makes many sends
 * fail fails the run even when every failure is matched to a fault (rejections.ts).
 */
import { MAX_BURST } from './schedule';

/** Applied faults (harness.ts `faults`) that can explain a send left unmade. */
const EXPLAINING = ['browser-kill', 'worker-close', 'tab-reload', 'quota'] as const;

/**
 * Sends a run may leave unmade (`refused`): only a fault that disrupts a browser can explain one
 * (rejections.ts), and each costs about a burst. A kill, a closed worker, a reloaded tab or a quota
 * episode's shutdown cuts the one burst its device has in flight (a device's bursts queue behind
 * each other), at most MAX_BURST sends; a quota episode then refuses what its browser sends while
 * the disk is full, 1 to 5 s at a burst of at most 8 every 2.5 s on average, which its MAX_BURST
 * covers in the bounded runs (seed 55 leaves 30 to 80 unmade against a bound of 240). Node devices
 * have no such fault: their sends only store locally, in turn with their restarts, so none may be
 * refused. This bound catches a fault that suddenly costs many bursts; a failure outside any
 * fault's window is `rejected` whatever the count.
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
