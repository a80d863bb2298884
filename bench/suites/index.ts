/** Every benchmark, in the order they run and are reported (the table order). */
import type { Benchmark } from '../lib/types';
import { shippedBytes } from './bytes';
import { reconnectFlush } from './flush';
import { catchUpIngest } from './ingest';
import { localCommit } from './localCommit';

export const BENCHMARKS: Benchmark[] = [localCommit, catchUpIngest, reconnectFlush, shippedBytes];
