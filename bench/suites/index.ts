/** Every benchmark, in the order they run and are reported (the table order). */
import type { Benchmark } from '../lib/types';
import { shippedBytes } from './bytes';

export const BENCHMARKS: Benchmark[] = [shippedBytes];
