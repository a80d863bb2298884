/**
 * The worker's Engine + SyncLayer + LocalStore (on better-sqlite3, the same SQL the browser runs)
 * as one Node client of the real server, for integration tests.
 */
import type { Engine as EngineType } from '../../worker/engine/Engine';
import { Engine } from '../../worker/engine/Engine';
import { DEFAULT_ENGINE_OPTIONS, mediaBaseUrl } from '../../worker/options';
import type { Platform } from '../../worker/platform';
import { BetterSqliteDriver } from '../../worker/store/betterSqliteDriver';
import { LocalStore } from '../../worker/store/LocalStore';
import type { LocalMessage } from '../../worker/store/types';
import { SyncLayer } from '../../worker/sync/SyncLayer';
import { nodePlatform } from './nodePlatform';
import { makeToken, TEST_SECRET, type TokenOptions } from './server';

export interface NodeClient {
  engine: Engine<SyncLayer>;
  messaging: SyncLayer;
  store: LocalStore;
  /** Close engine, messaging and store (a reload, as far as the client is concerned). */
  stop(): Promise<void>;
}

export async function startMessagingClient(
  url: string,
  user: string,
  file = ':memory:',
  platform: Platform = nodePlatform(),
  /** Who the token says the user is (default: a customer); a merchant's shop speaks for them here too. */
  identity: TokenOptions = {},
): Promise<NodeClient> {
  const partyIds = identity.shop === undefined ? [] : [identity.shop];
  const store = await LocalStore.open(new BetterSqliteDriver(file), { userId: user, partyIds, now: Date.now });
  const getToken = async () => makeToken(TEST_SECRET, user, identity);
  const media = { baseUrl: mediaBaseUrl({ url }), getToken };
  const engine = new Engine<SyncLayer>({
    platform,
    options: {
      ...DEFAULT_ENGINE_OPTIONS,
      reconnect: { ...DEFAULT_ENGINE_OPTIONS.reconnect, baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 1000 },
      url,
      deviceId: `dev-${user}`,
    },
    tokens: { getToken },
    inbox: (port) => new SyncLayer({ store, platform, engine: port, media }),
    ...(await store.resumePoint()),
  });
  const messaging = engine.inbox!;
  engine.start();
  return {
    engine,
    messaging,
    store,
    async stop() {
      engine.close();
      messaging.close();
      await store.close();
    },
  };
}

/** Resolve when the conversation's latest page satisfies `pred` (a live query: no polling). */
export function viewWhen(messaging: SyncLayer, conversationId: string, pred: (m: LocalMessage[]) => boolean, ms = 8000): Promise<LocalMessage[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('view never matched')), ms);
    messaging.live.addWhole('test', { kind: 'messages', conversationId, limit: 500 }, (r) => {
      if (r.kind === 'messages' && pred(r.messages)) {
        clearTimeout(timer);
        resolve(r.messages);
      }
    });
  });
}

export const online = (engine: EngineType) =>
  new Promise<void>((resolve) => {
    if (engine.getState().status === 'online') return resolve();
    const off = engine.events.on((e) => {
      if (e.type === 'state' && e.state.status === 'online') {
        off();
        resolve();
      }
    });
  });
