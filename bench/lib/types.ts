/**
 * What a benchmark reports. Every figure is a list of values, one per measured run after the
 * warm-up; the report quotes the median, the spread, and the ratio to a baseline measured in the
 * same run (the machine is noisy, so ratios are what we quote across machines).
 */
import type { Browser, BrowserContext } from '@playwright/test';
import type { ServerConfig } from '../../server';

export type Unit = 'ms' | 'µs' | 'msg/s' | 'kB' | 'MB' | 'count';

export interface Figure {
  /** Stable within its benchmark, e.g. 'p50'; baselines point at it by key. */
  key: string;
  /** What was measured, with its conditions ("send → ack, p99, 1 KB"). */
  label: string;
  unit: Unit;
  better: 'lower' | 'higher';
  /** 'parley' for what we ship, 'baseline' for the obvious way without Parley. */
  role: 'parley' | 'baseline';
  /** One value per measured run. A figure that is the same each run (bytes) has one. */
  runs: number[];
  /**
   * Where we aim (Parley figures only). With `ofBaseline`, `value` is a multiple of the `vs`
   * baseline's median in the same run (e.g. <= 0.5: at most half the per-tab SDK's time).
   */
  target?: { op: '<=' | '>='; value: number; ofBaseline?: true };
  /** Key of the baseline figure of the same benchmark this one is compared with. */
  vs?: string;
}

export interface BenchOutcome {
  figures: Figure[];
  /** Conditions worth printing beside the table (sizes, counts, what was checked). */
  notes?: string[];
}

export interface Benchmark {
  /** Short id for --only and the JSON, e.g. 'ack-latency'. */
  id: string;
  title: string;
  run(env: BenchEnv): Promise<BenchOutcome>;
}

export interface BenchServer {
  url: string;
  wsUrl: string;
  dataDir: string;
  /** A signed token for a user (customers by default; pass role/shop for agents). */
  token(userId: string, opts?: { role?: string; shop?: string }): string;
  /** Stop answering (the server is down) until up(); data is kept. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Value of a /metrics series (labels as rendered, e.g. 'result="stored"'); NaN when absent. */
  metric(name: string, labels?: string): Promise<number>;
  stop(): Promise<void>;
}

export interface BenchEnv {
  /** --quick: one run, no warm-up, small sizes: the harness is exercised, the figures mean little. */
  quick: boolean;
  /** Measured runs per figure (after `warmups`). */
  runs: number;
  warmups: number;
  /** `full` normally, `small` under --quick. */
  size(full: number, small: number): number;
  /**
   * A fresh server on loopback serving the built bundles, the demo and /bench/ pages, rate limits
   * off. `overrides` change its config (e.g. sessionPolicy 'multi' for per-tab sockets).
   */
  startServer(overrides?: Partial<ServerConfig>): Promise<BenchServer>;
  /** Headless Chromium, launched once on first use. */
  browser(): Promise<Browser>;
  /** A new browser context (its own profile: storage, SharedWorkers). Closed by the caller. */
  newContext(): Promise<BrowserContext>;
  log(message: string): void;
}
