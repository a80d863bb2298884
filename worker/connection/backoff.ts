/**
 * Reconnect delays as a pure function of the attempt number, so the schedule can be tested without a
 * clock and the Connection keeps no backoff state beyond one counter.
 */

export interface BackoffOptions {
  /** Delay before the first retry, in ms; doubles on each further attempt. */
  baseDelayMs: number;
  /** No delay exceeds this, jitter included, in ms. */
  maxDelayMs: number;
  /** Fraction of the delay randomised: 0.3 spreads it over ±30 %. Clamped to [0, 1]. */
  jitter: number;
}

/**
 * Milliseconds to wait before retry number `attempt` (1 = the first retry): `baseDelayMs * 2^(attempt-1)`,
 * capped at `maxDelayMs`, then moved by up to ±`jitter` of itself so that clients dropped together
 * do not all come back in the same instant.
 *
 * @param random a number in [0, 1); 0.5 leaves the delay unchanged, 0 takes the full jitter off.
 * @returns a whole number of ms in [0, maxDelayMs]. An attempt below 1 (or NaN) counts as 1.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const n = attempt >= 1 ? Math.floor(attempt) : 1;
  // 2 ** n overflows to Infinity for huge n; Math.min turns that into the cap.
  const exponential = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (n - 1));
  const jitter = Math.min(1, Math.max(0, opts.jitter));
  const factor = 1 + jitter * (2 * random() - 1);
  // Capping again after jitter keeps maxDelayMs a true upper bound (options.ts promises that); at the cap
  // the spread therefore only goes downwards.
  return Math.round(Math.min(opts.maxDelayMs, Math.max(0, exponential * factor)));
}
