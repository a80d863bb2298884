/**
 * The engine's own code, in Node, against the real server on loopback: the same Engine a
 * SharedWorker runs, given Node's WebSocket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../worker/engine/Engine';
import type { EngineEvent } from '../../worker/protocol';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../../worker/options';
import { nodePlatform } from '../support/nodePlatform';
import { makeToken, startServer, TEST_SECRET, type TestServer } from '../support/server';
import { CLOCK_SKEW_S } from '../../server';

let server: TestServer | undefined;
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) e.close();
  await server?.stop();
  server = undefined;
});

function options(url: string, deviceId: string, over: Partial<EngineOptions> = {}): EngineOptions {
  return {
    ...DEFAULT_ENGINE_OPTIONS,
    reconnect: { ...DEFAULT_ENGINE_OPTIONS.reconnect, baseDelayMs: 50, maxDelayMs: 200 },
    url,
    deviceId,
    ...over,
  };
}

function startEngine(url: string, userId: string, deviceId: string, tokens?: (fresh: boolean) => string): Engine {
  const engine = new Engine({
    platform: nodePlatform(),
    options: options(url, deviceId),
    tokens: { getToken: async (fresh) => (tokens ? tokens(fresh) : makeToken(TEST_SECRET, userId)) },
  });
  engines.push(engine);
  engine.start();
  return engine;
}

/** Resolve with the first event matching `pred` (from now on), or fail after `ms`. */
function nextEvent<T extends EngineEvent>(engine: Engine, pred: (e: EngineEvent) => e is T, ms?: number): Promise<T>;
function nextEvent(engine: Engine, pred: (e: EngineEvent) => boolean, ms?: number): Promise<EngineEvent>;
function nextEvent(engine: Engine, pred: (e: EngineEvent) => boolean, ms = 5000): Promise<EngineEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms (state ${engine.getState().status})`));
    }, ms);
    const off = engine.events.on((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

const isOnline = (e: EngineEvent) => e.type === 'state' && e.state.status === 'online';
const online = (engine: Engine) => (engine.getState().status === 'online' ? Promise.resolve() : nextEvent(engine, isOnline).then(() => {}));

describe('Engine against the real server', () => {
  it('connects, authenticates and answers typed requests', async () => {
    server = await startServer();
    const engine = startEngine(server.wsUrl, 'alice', 'dev-a');
    const success = nextEvent(engine, (e) => e.type === 'connect_success');
    await online(engine);
    expect(await success).toMatchObject({ type: 'connect_success', userId: 'alice', deviceId: 'dev-a' });
    const { conversation } = await engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const { conversations } = await engine.request('conversations.list', { limit: 10, offset: 0 });
    expect(conversations.map((c) => c.id)).toEqual([conversation.id]);
  });

  it('receives pushes from another user once each, and acks them so the server stops re-sending', async () => {
    server = await startServer({ pushResendMs: 300 });
    const alice = startEngine(server.wsUrl, 'alice', 'dev-a');
    await online(alice);
    const { conversation } = await alice.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const agent = await server.login('shop-agent', { role: 'merchant', shop: 'parley-shop' });
    const received: string[] = [];
    alice.events.on((e) => {
      if (e.type === 'receive' && e.event.kind === 'message') received.push(e.event.message.id);
    });
    const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const last = nextEvent(alice, (e) => e.type === 'receive' && e.event.kind === 'message' && e.event.message.id === ids[2]);
    for (const id of ids) await agent.call('messages.send', { conversationId: conversation.id, clientId: id, content: { type: 'text', text: id } });
    await last;
    // Ask after more than a resend period: had the acks not arrived, the pushes would have been sent again.
    await agent.call('conversations.members', { conversationId: conversation.id });
    await new Promise<void>((resolve) => {
      const check = () => (server!.server.metrics.registry.render().includes('parley_pushes_resent_total 0') ? resolve() : setTimeout(check, 50));
      setTimeout(check, 600);
    });
    expect(received).toEqual(ids);
  });

  it('goes to kicked when the same user logs in elsewhere, and does not reconnect', async () => {
    server = await startServer();
    const first = startEngine(server.wsUrl, 'alice', 'dev-1');
    await online(first);
    const kicked = nextEvent(first, (e) => e.type === 'state' && e.state.status === 'kicked');
    const second = startEngine(server.wsUrl, 'alice', 'dev-2');
    await online(second);
    expect((await kicked).type).toBe('state');
    expect(first.getState()).toMatchObject({ status: 'kicked', reason: 'LOGGED_IN_ELSEWHERE' });
    // A reconnect loop would kick `second` back; it stays online.
    await second.request('conversations.list', { limit: 1, offset: 0 });
    expect(second.getState().status).toBe('online');
    expect(first.getState().status).toBe('kicked');
  });

  it('comes back after the server restarts on the same data', async () => {
    server = await startServer();
    const engine = startEngine(server.wsUrl, 'alice', 'dev-a');
    await online(engine);
    const { conversation } = await engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const dropped = nextEvent(engine, (e) => e.type === 'connect_failure');
    const port = server.port;
    await server.server.close();
    await dropped;
    const back = nextEvent(engine, isOnline);
    const { createParleyServer } = await import('../../server');
    // The same data: the data dir, or the database the suite runs on (PARLEY_TEST_STORE=postgres).
    const { databaseUrl, databaseSchema, redisUrl } = server.server.config;
    const again = await createParleyServer({ dataDir: server.dataDir, secret: TEST_SECRET, log: () => {}, databaseUrl, databaseSchema, redisUrl });
    await again.listen(port);
    try {
      await back;
      const { conversations } = await engine.request('conversations.list', { limit: 10, offset: 0 });
      expect(conversations.map((c) => c.id)).toContain(conversation.id);
    } finally {
      engine.close();
      await again.close();
    }
  });

  it('fetches a fresh token when the server ends the session at token expiry', async () => {
    server = await startServer();
    const asked: boolean[] = [];
    const engine = startEngine(server.wsUrl, 'alice', 'dev-a', (fresh) => {
      asked.push(fresh);
      // The first token's session ends a second from now (its exp is that far inside the server's
      // tolerance for the issuer's clock); fresh ones last an hour.
      return makeToken(TEST_SECRET, 'alice', fresh ? {} : { exp: Math.floor(Date.now() / 1000) + 1 - CLOCK_SKEW_S });
    });
    await online(engine);
    const expired = nextEvent(engine, (e) => e.type === 'state' && e.state.status !== 'online', 4000);
    await expired;
    await nextEvent(engine, isOnline, 4000);
    expect(asked).toEqual([false, true]);
  });
});
