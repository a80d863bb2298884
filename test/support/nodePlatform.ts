/** The engine's Platform in Node: real time, the `ws` package's WebSocket (Node 20 has no global one). */
import WebSocket from 'ws';
import type { Platform, SocketLike } from '../../worker/platform';

export function nodePlatform(): Platform {
  return {
    clock: { now: () => Date.now() },
    timers: {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
    },
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    network: { isOnline: () => true, subscribe: () => () => {} },
    random: Math.random,
  };
}
