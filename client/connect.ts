/**
 * `connect()`: start or join this origin's Parley engine and get a typed client.
 */
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../worker/options';
import { workerNameOf } from '../worker/host/workerName';
import type { AttachRequest, TabCallbacks } from '../worker/protocol';
import { openFallbackLink } from './links/fallbackLink';
import { holdLock, openSharedWorkerLink } from './links/sharedWorkerLink';
import { explicitWorkerUrl, startSharedWorker } from './links/workers';
import { ErrorCode, ParleyError } from '../schema/errors';
import { ParleyClient } from './ParleyClient';
import { randomId, withTimeout } from './timeout';

declare const __PARLEY_VERSION__: string;
/** Baked in at build time; part of the worker's name so a new deploy never joins an old worker. */
export const PARLEY_VERSION = typeof __PARLEY_VERSION__ === 'string' ? __PARLEY_VERSION__ : 'dev';

export interface ConnectOptions {
  /** The host page's token provider. `fresh` is true when the last token was refused as expired. */
  getToken: (fresh: boolean) => string | Promise<string>;
  /** The server's WebSocket URL. Default: `/ws` on this page's origin. */
  url?: string;
  /**
   * URL of parley-worker.js (an ES module), for a CDN or a hand-served copy; with `encryption`, of
   * parley-worker-encrypted.js. Default: the one beside the client, which Vite and webpack 5 bundle
   * into the page's build (it must be same-origin).
   */
  workerUrl?: string;
  /**
   * With `workerUrl`: the directory (URL) holding wa-sqlite-jspi.wasm and wa-sqlite-async.wasm (and
   * their mc- twins, for `encryption`), when
   * they are not beside the worker script (a CDN; cross-origin needs CORS). Default: beside it.
   */
  wasmBaseUrl?: string;
  /** URL of parley-image-worker.js (pictures are resized there). Default: the one beside the client. */
  imageWorkerUrl?: string;
  /** Who is logged in: each user gets their own engine, socket and local database in this browser. */
  user?: string;
  /** For a merchant: the shop they answer for (its conversations' reads and unread counts are theirs). */
  shopId?: string;
  /** 'auto' uses a SharedWorker where there is one, else leader election. */
  mode?: 'auto' | 'shared-worker' | 'fallback';
  /** Bound on control calls to the engine (attach, state, reconnect). */
  callTimeoutMs?: number;
  engine?: Partial<Omit<EngineOptions, 'url' | 'deviceId'>>;
  /**
   * Encrypt this user's local database at rest (off by default). The key is held in memory only:
   * fetch it from your backend after login, next to the token, and pass it every time. A 256-bit
   * key as 64 hex digits is used as is; any other string is a passphrase (slower to open).
   */
  encryption?: EncryptionOptions;
}

export interface EncryptionOptions {
  /**
   * The key, or a function that returns the current one: asked again whenever the engine restarts,
   * so after a rotation (client.changeKey) it must give the new key. Rotating apps pass a function.
   */
  key: string | (() => string | Promise<string>);
  /**
   * When the local database does not open with the key (a wrong key, a lost one): 'fail' (default)
   * rejects connect() with KEY_REJECTED, whose `details.unsent` says how many unsent messages the
   * local copy holds, so the app can ask the user; 'rebuild' deletes the local copy and starts a new
   * one that the server fills again (those unsent messages are lost: client.localRebuilt says how
   * many).
   */
  onKeyRejected?: 'fail' | 'rebuild';
}

const DEVICE_KEY = 'parley.deviceId';

/** One id per browser profile: the unit of the server's kick policy and ack cursors. Not a secret. */
function deviceId(): string {
  try {
    const existing = localStorage.getItem(DEVICE_KEY);
    if (existing) return existing;
    const id = `d_${randomId()}`;
    localStorage.setItem(DEVICE_KEY, id);
    return id;
  } catch {
    return `d_${randomId()}`; // storage blocked: a per-page device
  }
}

function defaultWsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

/**
 * Ask the browser to keep our storage (it may evict best-effort storage under pressure).
 * persist() exists only in windows, not in the worker that owns the database, so the tab asks;
 * the worker then reads the answer with persisted(). Bounded: a permission prompt may never resolve.
 */
async function requestPersistence(): Promise<void> {
  const storage = (navigator as { storage?: { persist?: () => Promise<boolean> } }).storage;
  if (!storage?.persist) return;
  await withTimeout(storage.persist(), 1_000, 'storage.persist').catch(() => false);
}

export async function connect(options: ConnectOptions): Promise<ParleyClient> {
  const user = options.user ?? 'default';
  if (options.wasmBaseUrl !== undefined && options.workerUrl === undefined) {
    // The bundled worker is started by a literal URL (what bundlers follow), which carries nothing else.
    throw new ParleyError(ErrorCode.INVALID_PARAMS, 'wasmBaseUrl needs workerUrl');
  }
  const workerUrl = options.workerUrl === undefined ? undefined : explicitWorkerUrl(options.workerUrl, options.wasmBaseUrl);
  const encryption = options.encryption;
  const encrypted = encryption !== undefined;
  const workerName = workerNameOf(PARLEY_VERSION, user, encrypted);
  const mode = options.mode ?? 'auto';
  const useShared = mode === 'shared-worker' || (mode === 'auto' && typeof SharedWorker !== 'undefined');
  // Started before anything is awaited: a cold worker's script, wasm and database open (~300 ms)
  // then overlap the persistence request and the tab lock instead of following them.
  let started: SharedWorker | null = useShared ? startSharedWorker(workerUrl, workerName, encrypted) : null;
  await requestPersistence();
  const tabId = `t_${randomId()}`;
  const tabLock = `parley-tab:${tabId}`;
  await holdLock(tabLock);
  const engine: EngineOptions = {
    ...DEFAULT_ENGINE_OPTIONS,
    ...options.engine,
    url: options.url ?? defaultWsUrl(),
    deviceId: deviceId(),
  };
  const attach: AttachRequest = { tabId, tabLock, user, parties: options.shopId ? [options.shopId] : [], options: engine };
  const callbacks: TabCallbacks = { getToken: async (fresh) => options.getToken(fresh) };
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const linkOptions = { workerUrl, workerName, attach, callbacks, callTimeoutMs, encrypted };
  // A key function is asked at each (re)attach: after a rotation it gives the new key. The worker checks it.
  const withKey = async () => {
    const key = encryption?.key;
    if (encryption) attach.encryption = { ...encryption, key: typeof key === 'function' ? await key() : key! };
  };
  // The first link uses the worker started above; a reattach (the worker died) starts a new one.
  const takeStarted = (): SharedWorker | undefined => {
    const worker = started ?? undefined;
    started = null;
    return worker;
  };
  return ParleyClient.create(
    async (sink) => {
      await withKey();
      return (useShared ? openSharedWorkerLink : openFallbackLink)(linkOptions, sink, takeStarted());
    },
    { imageWorkerUrl: options.imageWorkerUrl, user, tabId },
  );
}
