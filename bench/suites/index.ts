/** Every benchmark, in the order they run and are reported (the table order). */
import type { Benchmark } from '../lib/types';
import { ackLatency } from './ackLatency';
import { shippedBytes } from './bytes';
import { reconnectFlush } from './flush';
import { fanout } from './fanout';
import { halfOpen } from './halfOpen';
import { catchUpIngest } from './ingest';
import { localCommit } from './localCommit';
import { encryption } from './encryption';
import { paint } from './paint';
import { clusterRelay } from './clusterRelay';
import { relay } from './relay';
import { roundTrip } from './roundTrip';
import { tabs } from './tabs';

export const BENCHMARKS: Benchmark[] = [localCommit, catchUpIngest, roundTrip, fanout, paint, reconnectFlush, ackLatency, relay, clusterRelay, tabs, halfOpen, encryption, shippedBytes];
