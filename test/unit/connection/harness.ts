/** A Connection wired to the fake platform, with recorders for states, frames and token requests. */
import { decodeClientFrame, encodeFrame, type ClientFrame, type ServerFrame } from '../../../schema';
import { Connection } from '../../../worker/connection';
import type { ConnectionState } from '../../../worker/connection';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../../../worker/options';
import { fakePlatform, type FakeSocket } from '../../support/fakePlatform';

type Overrides = {
  reconnect?: Partial<EngineOptions['reconnect']>;
  heartbeat?: Partial<EngineOptions['heartbeat']>;
  connectTimeoutMs?: number;
  getToken?: (fresh: boolean) => Promise<string>;
  cursor?: number;
  /** The server epoch of `cursor`. */
  epoch?: string;
};

export const OPTIONS: EngineOptions = { url: 'ws://parley.test/ws', deviceId: 'web-dev1', ...DEFAULT_ENGINE_OPTIONS };

export function setup(over: Overrides = {}) {
  const fake = fakePlatform();
  const options: EngineOptions = {
    ...OPTIONS,
    reconnect: { ...OPTIONS.reconnect, ...over.reconnect },
    heartbeat: { ...OPTIONS.heartbeat, ...over.heartbeat },
    connectTimeoutMs: over.connectTimeoutMs ?? OPTIONS.connectTimeoutMs,
  };
  const tokenRequests: boolean[] = [];
  const frames: ServerFrame[] = [];
  const states: ConnectionState[] = [];
  const getToken =
    over.getToken ?? ((fresh: boolean) => Promise.resolve(fresh ? 'fresh-token' : 'cached-token'));
  // Counts live network subscriptions, so a test can see that close() let go of the monitor.
  let networkSubscriptions = 0;
  const platform = {
    ...fake.platform,
    network: {
      isOnline: () => fake.network.isOnline(),
      subscribe: (listener: (online: boolean) => void) => {
        networkSubscriptions++;
        const off = fake.network.subscribe(listener);
        return () => {
          networkSubscriptions--;
          off();
        };
      },
    },
  };
  const conn = new Connection({
    platform,
    options,
    getToken: (fresh) => {
      tokenRequests.push(fresh);
      return getToken(fresh);
    },
    getPosition: () => (over.cursor === undefined ? undefined : { cursor: over.cursor, epoch: over.epoch }),
    onFrame: (f) => frames.push(f),
  });
  conn.subscribe((s) => states.push(s));
  return {
    fake,
    clock: fake.clock,
    network: fake.network,
    sockets: fake.sockets,
    /** The most recently created socket. */
    get socket(): FakeSocket {
      return fake.socket;
    },
    conn,
    options,
    tokenRequests,
    frames,
    states,
    statuses: () => states.map((s) => s.status),
    networkSubscriptions: () => networkSubscriptions,
  };
}
export type Harness = ReturnType<typeof setup>;

/** Let promise callbacks (getToken) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export function authOk(over: Partial<Extract<ServerFrame, { t: 'auth_ok' }>> = {}): string {
  return encodeFrame({
    t: 'auth_ok',
    userId: 'alice',
    role: 'customer',
    shopId: null,
    displayName: 'Alice',
    deviceId: 'web-dev1',
    ackedCursor: 3,
    headCursor: 9,
    serverTime: 1_700_000_000_000,
    idleTimeoutMs: 75_000,
    limits: { maxFrameBytes: 65_536, maxContentBytes: 16_384 },
    ...over,
  });
}

export const frame = (f: ServerFrame): string => encodeFrame(f);

/** The frames the client sent on a socket, decoded (and so validated against the schema). */
export function sentFrames(socket: FakeSocket): ClientFrame[] {
  return socket.sent.map((text) => {
    const d = decodeClientFrame(text);
    if (!d.ok) throw new Error(`client sent an invalid frame: ${d.message}`);
    return d.value;
  });
}

/** Open the current socket, let the token arrive: the auth frame is then on the wire. */
export async function openAndAuth(h: Harness): Promise<FakeSocket> {
  const socket = h.socket;
  socket.serverOpen();
  await flush();
  return socket;
}

/** From whatever state started a try (connect(), a retry): open, auth, auth_ok. */
export async function bringOnline(h: Harness): Promise<FakeSocket> {
  const socket = await openAndAuth(h);
  socket.serverSend(authOk());
  if (h.conn.state.status !== 'online') throw new Error(`expected online, got ${h.conn.state.status}`);
  return socket;
}

/** The delay of the backoff the connection is in now. */
export function backoffDelayNow(h: Harness): number {
  const s = h.conn.state;
  if (s.status !== 'backoff') throw new Error(`expected backoff, got ${s.status}`);
  return s.nextTryAt - h.clock.now();
}
