/** The engine's Platform in Node: real time, the `ws` package's WebSocket (Node 20 has no global one). */
import WebSocket from 'ws';
import { fetchMediaHttp } from '../../worker/media/MediaHttp';
import type { Platform, SocketLike } from '../../worker/platform';

export function nodePlatform(): Platform {
  return {
    clock: { now: () => Date.now() },
    timers: {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
    },
    createSocket: (url) => {
      const ws = new WebSocket(url);
      // ws emits 'error' when a still-connecting socket is closed; the engine has already detached
      // its handlers then (it abandons such sockets), and an unheard 'error' would crash Node.
      ws.on('error', () => {});
      return ws as unknown as SocketLike;
    },
    network: { isOnline: () => true, subscribe: () => () => {} },
    random: Math.random,
    http: fetchMediaHttp(),
  };
}
