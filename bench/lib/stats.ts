/** Order statistics on samples: nearest-rank percentiles, as latency reports usually quote them. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/**
 * Run `measure` `env.warmups` times (results dropped), then `env.runs` times; returns the measured
 * results in order. Each run should measure something complete (a burst, a flush), not one sample.
 */
export async function repeat<T>(env: { runs: number; warmups: number }, measure: (run: number) => Promise<T>): Promise<T[]> {
  for (let i = 0; i < env.warmups; i++) await measure(-1 - i);
  const out: T[] = [];
  for (let i = 0; i < env.runs; i++) out.push(await measure(i));
  return out;
}

/**
 * `items` rotated by `run`, so each takes its turn to go first across runs (warm-up runs are
 * numbered below zero, and rotate as well).
 */
export function rotation<T>(items: readonly T[], run: number): T[] {
  const n = items.length;
  return items.map((_, i) => items[(((i + run) % n) + n) % n]!);
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export const now = (): number => performance.now();
