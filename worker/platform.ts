/**
 * The platform pieces the engine uses, injected so the same code runs in a SharedWorker, a
 * dedicated Worker, a tab, and in Node tests with a fake clock and a fake socket.
 */

import { defaultMediaHttp, type MediaHttp } from './media/MediaHttp';

/** Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export type TimerId = unknown;
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** The part of the WebSocket API the engine uses; the browser's and Node's WebSocket both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

/** Whether the device has a network at all (navigator.onLine and its events in a browser). */
export interface NetworkMonitor {
  isOnline(): boolean;
  /** Returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

export interface Platform {
  clock: Clock;
  timers: Timers;
  createSocket: SocketFactory;
  network: NetworkMonitor;
  /** A number in [0, 1): jitter. */
  random: () => number;
  /** Uploads and signing for media messages; without it media sends fail and wait for a resend. */
  http?: MediaHttp;
}

/** The browser (or Node 22+, where WebSocket is global) defaults. */
export function browserPlatform(): Platform {
  const g = globalThis as unknown as {
    navigator?: { onLine?: boolean };
    addEventListener?: (t: string, l: () => void) => void;
    removeEventListener?: (t: string, l: () => void) => void;
  };
  return {
    clock: { now: () => Date.now() },
    timers: {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
    },
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    network: {
      isOnline: () => g.navigator?.onLine ?? true,
      subscribe(listener) {
        const on = () => listener(true);
        const off = () => listener(false);
        g.addEventListener?.('online', on);
        g.addEventListener?.('offline', off);
        return () => {
          g.removeEventListener?.('online', on);
          g.removeEventListener?.('offline', off);
        };
      },
    },
    random: Math.random,
    http: defaultMediaHttp(),
  };
}
