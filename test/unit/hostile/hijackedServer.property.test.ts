/**
 * A hijacked or broken server sends the engine anything at all. Property: whatever arrives —
 * text that is not JSON, frames of unknown shapes, pushes with hostile or unknown content,
 * `__proto__` keys — the engine neither throws nor stops, the local database stays intact and
 * holds only content the schema accepts, no prototype is polluted, and a valid push afterwards is
 * stored as usual.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, Content, encodeFrame, type Message } from '../../../schema';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../../worker/store/LocalStore';
import { onlineSyncEngine } from '../../support/onlineSyncEngine';
import { fakePlatform } from '../../support/fakePlatform';
import { authOk, flush } from '../connection/harness';

const keyish = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'type', 'text', 'url', 't', 'event'), fc.string({ maxLength: 8 }));
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 64 }),
    fc.constantFrom('javascript:alert(1)', 'data:text/html,<script>1</script>', '\u202Eevil', '<img src=x onerror=1>', '1e309'),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyish, tie('value'), { maxKeys: 5 }),
  ),
})).value;

const message = (over: Record<string, unknown>): Record<string, unknown> => ({
  id: crypto.randomUUID(),
  conversationId: 'c1',
  seq: 1,
  senderId: 'bob',
  content: { type: 'text', text: 'hi' },
  serverTs: 1_700_000_000_000,
  ...over,
});

/** One frame from the hostile server: raw text, or JSON of a shape close to a real frame. */
const hostileFrame = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json(),
  hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
  fc.record({ t: fc.constantFrom('push', 'res', 'error', 'kick', 'pong', 'auth_ok', 'nope'), rest: hostileValue }).map(({ t, rest }) => JSON.stringify({ t, ...(typeof rest === 'object' && rest ? rest : {}) })),
  // superjson's wire shape written by hand: its encoder rightly refuses `constructor` keys, a hostile server would not.
  fc.tuple(fc.integer({ min: -5, max: 1e6 }), hostileValue, fc.integer({ min: -3, max: 50 })).map(([cursor, content, seq]) =>
    JSON.stringify({ json: { t: 'push', cursor, event: { kind: 'message', message: message({ content, seq }) } } }),
  ),
  fc.tuple(fc.integer({ min: 1, max: 1e6 }), hostileValue).map(([cursor, event]) => JSON.stringify({ json: { t: 'push', cursor, event } })),
);

async function setup() {
  const fake = fakePlatform();
  const store = await LocalStore.open(new BetterSqliteDriver(':memory:'), { userId: 'alice', now: fake.platform.clock.now });
  const { engine, messaging } = await onlineSyncEngine(fake, store);
  return { fake, store, messaging, engine };
}

describe('the engine against a hostile server', () => {
  it('survives any frames, keeps its database valid, and stores a good push afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileFrame, { minLength: 1, maxLength: 25 }), async (frames) => {
        const h = await setup();
        try {
          for (const f of frames) {
            // A live socket: frames that close it (a kick, a bad auth) are fine, as long as nothing throws.
            if (h.fake.socket.readyState === 1) h.fake.socket.serverSend(f);
            await flush();
          }
          h.fake.clock.advance(100);
          await flush();
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(Object.getPrototypeOf({})).toBe(Object.prototype);
          const rows = await h.store.latest('c1', 500);
          for (const m of rows) expect(check(Content, m.content, 'INVALID_PARAMS' as never).ok).toBe(true);

          // Still working: a fresh, valid push is stored once the engine is (back) online.
          if (h.engine.getState().status !== 'online') {
            h.engine.reconnect();
            await flush();
            h.fake.socket.serverOpen();
            await flush();
            h.fake.socket.serverSend(authOk());
            await flush();
          }
          const good = message({ id: crypto.randomUUID(), seq: 1000, content: { type: 'text', text: 'still here' } }) as unknown as Message;
          h.fake.socket.serverSend(encodeFrame({ t: 'push', cursor: 5_000_000, event: { kind: 'message', message: good } }));
          await flush();
          h.fake.clock.advance(100);
          await flush();
          expect((await h.store.message('bob', good.id))?.content).toEqual({ type: 'text', text: 'still here' });
        } finally {
          h.engine.close();
          h.messaging.close();
          await h.store.close();
        }
      }),
      { numRuns: 60, seed: 20261127 },
    );
  });
});
