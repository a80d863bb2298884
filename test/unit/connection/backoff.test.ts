import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../worker/connection';

const opts = { baseDelayMs: 500, maxDelayMs: 30_000, jitter: 0.3 };
const mid = () => 0.5;

describe('backoffDelay', () => {
  it('doubles from baseDelayMs, attempt 1 being the first retry', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts, mid))).toEqual([500, 1000, 2000, 4000, 8000, 16_000]);
  });

  it('is capped at maxDelayMs, even for huge attempt numbers', () => {
    expect(backoffDelay(7, opts, mid)).toBe(30_000);
    expect(backoffDelay(50, opts, mid)).toBe(30_000);
    expect(backoffDelay(5000, opts, mid)).toBe(30_000);
  });

  it('spreads the delay by ±jitter around the exponential value', () => {
    expect(backoffDelay(3, opts, () => 0)).toBe(1400); // 2000 - 30 %
    expect(backoffDelay(3, opts, () => 0.75)).toBe(2300); // 2000 + 15 %
    expect(backoffDelay(3, opts, () => 0.999_999)).toBe(2600); // just under +30 %
  });

  it('never exceeds maxDelayMs with jitter, and jitter still spreads below the cap', () => {
    expect(backoffDelay(20, opts, () => 0.999_999)).toBe(30_000);
    expect(backoffDelay(20, opts, () => 0)).toBe(21_000);
  });

  it('has no randomness with jitter 0', () => {
    expect(backoffDelay(2, { ...opts, jitter: 0 }, () => 0)).toBe(1000);
  });

  it('treats an attempt below 1 as the first retry', () => {
    expect(backoffDelay(0, opts, mid)).toBe(500);
    expect(backoffDelay(Number.NaN, opts, mid)).toBe(500);
  });
});
