/**
 * The store a node runs on: the embedded SQLite database by default, or PostgreSQL when
 * `databaseUrl` is set, with Redis carrying each node's commits to the others when `redisUrl` is.
 * What readiness means follows: SQLite is always there; a cluster node is ready while its database
 * answers and its broker is connected.
 */
import type { ServerConfig } from '../config';
import type { Broker } from '../cluster/Broker';
import { RedisBroker } from '../cluster/RedisBroker';
import { StreamRelay } from '../cluster/StreamRelay';
import { ClusterSessions, type LocalSessions } from '../cluster/ClusterSessions';
import { localSessions, type SessionDirectory } from '../cluster/SessionDirectory';
import type { MediaStorage } from '../media/MediaStorage';
import { PgMediaStorage } from '../media/PgMediaStorage';
import { DEMO_SHOP, DEMO_USERS } from '../seed';
import { PgStore } from './postgres/PgStore';
import { SqliteStore } from './sqlite/SqliteStore';

export interface OpenedStore {
  store: SqliteStore | PgStore;
  /** The broker to the other nodes, when there is one. */
  broker: Broker | null;
  /** Session claims across nodes (a no-op on SQLite, where the registry sees every session). */
  sessions: SessionDirectory;
  /** Where uploads go when nothing else is configured: in PostgreSQL for a cluster (every node reads them); null on SQLite (files under the data dir). */
  mediaStorage: MediaStorage | null;
  /** Why this node should not take traffic now, or null when it can (GET /healthz). */
  unready(): Promise<string | null>;
  close(): Promise<void>;
}

/** How long /healthz waits for the database to answer before calling the node unready. */
const READY_PROBE_MS = 2_000;

export async function openStore(config: ServerConfig, local: LocalSessions): Promise<OpenedStore> {
  if (!config.databaseUrl) {
    const store = new SqliteStore({ dataDir: config.dataDir, sync: config.sqliteSync, now: config.now, log: config.log });
    if (config.seedDemo) store.seed([DEMO_SHOP], [...DEMO_USERS]);
    return { store, broker: null, sessions: localSessions, mediaStorage: null, unready: async () => null, close: () => store.close() };
  }
  const broker = config.redisUrl ? await RedisBroker.connect({ url: config.redisUrl, log: config.log }) : null;
  let relay: StreamRelay | null = null;
  let store: PgStore | undefined;
  let sessions: ClusterSessions;
  try {
    store = await PgStore.open({
      url: config.databaseUrl,
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
      now: config.now,
      poolSize: config.databasePoolSize,
      checkMs: config.streamCheckMs,
      log: config.log,
      publish: (events) => relay?.publish(events),
    });
    if (broker) {
      relay = new StreamRelay(broker, store.epoch, config.log);
      await relay.start(store.feed);
    }
    if (config.seedDemo) await store.seed([DEMO_SHOP], [...DEMO_USERS]);
    const pool = store.pool;
    sessions = new ClusterSessions({
      query: async (text, params) => (await pool.query(text, params as unknown[])).rows,
      broker,
      databaseEpoch: store.epoch,
      policy: config.sessionPolicy,
      local,
      now: config.now,
      checkMs: config.claimCheckMs,
      log: config.log,
    });
    await sessions.start();
  } catch (err) {
    await store?.close().catch(() => {});
    await broker?.close();
    throw err;
  }
  return clusterNode(store, broker, sessions);
}

function clusterNode(opened: PgStore, broker: Broker | null, claims: ClusterSessions): OpenedStore {
  return {
    store: opened,
    broker,
    sessions: claims,
    mediaStorage: new PgMediaStorage(opened.pool, Date.now),
    async unready() {
      if (broker && !broker.ready) return 'redis is not connected';
      const probe = opened.pool.query('SELECT 1').then(
        () => null,
        (err: Error) => `postgres does not answer: ${err.message}`,
      );
      const late = new Promise<string>((resolve) => setTimeout(resolve, READY_PROBE_MS, 'postgres does not answer in time').unref());
      return Promise.race([probe, late]);
    },
    async close() {
      await claims.close();
      await opened.close();
      await broker?.close();
    },
  };
}
