/**
 * The engine with its sync layer on a LocalStore, on the fake platform, brought online: for unit
 * tests that drive the server's side by hand through `fake.socket`.
 */
import type { AuthOkFrame } from '../../schema';
import { Engine } from '../../worker/engine/Engine';
import { DEFAULT_ENGINE_OPTIONS } from '../../worker/options';
import type { LocalStore } from '../../worker/store/LocalStore';
import { SyncLayer } from '../../worker/sync/SyncLayer';
import { authOk, flush } from '../unit/connection/harness';
import type { fakePlatform } from './fakePlatform';

/** `auth`: fields of the server's auth_ok beyond the defaults (a resync, a rebuild). */
export async function onlineSyncEngine(fake: ReturnType<typeof fakePlatform>, store: LocalStore, auth: Partial<AuthOkFrame> = {}) {
  const engine = new Engine<SyncLayer>({
    platform: fake.platform,
    options: { ...DEFAULT_ENGINE_OPTIONS, url: 'ws://parley.test/ws', deviceId: 'web-dev1' },
    tokens: { getToken: async () => 'token' },
    inbox: (port) => new SyncLayer({ store, platform: fake.platform, engine: port }),
  });
  engine.start();
  fake.socket.serverOpen();
  await flush();
  fake.socket.serverSend(authOk(auth));
  return { engine, messaging: engine.inbox! };
}
