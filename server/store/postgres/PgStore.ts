/**
 * The Store on PostgreSQL, for running several nodes on one database (PARLEY_DATABASE_URL). Writes
 * go through a group commit per node (PgGroupCommit); the push stream's cursors come from one
 * counter taken last in each commit, so they are gapless and committed in order, and every node's
 * StreamFeed delivers the whole stream, its own commits and the others', in that order.
 *
 * This class opens the pool, runs the migrations and wires the parts, each a file of its own, as the
 * SQLite store does; ComposedStore delegates most Store methods to them.
 */
import pg from 'pg';
import type { Identity } from '../../auth/tokens';
import { StreamFeed } from '../../cluster/StreamFeed';
import { ComposedStore, type StoreParts } from '../ComposedStore';
import type { CommittedEvent, MediaIndex, Store } from '../Store';
import { currentEpoch, epochEnd } from './epochs';
import { PG_MIGRATIONS } from './migrations';
import { PgDesk } from './PgDesk';
import { noteFailure, statement } from './statements';
import { PgConversations, type Query } from './PgConversations';
import { PgDeviceCursors } from './PgDeviceCursors';
import { PgEventLog } from './PgEventLog';
import { PgGroupCommit } from './PgGroupCommit';
import { PgMediaIndex } from './PgMediaIndex';
import { PgMessages } from './PgMessages';
import { PgRetention } from './PgRetention';
import { PgUsers } from './PgUsers';

export interface PgStoreOptions {
  /** postgres://… (or a Unix socket: postgres://user@/db?host=/run/postgresql). */
  url: string;
  now: () => number;
  /** Connections per node (default 10): reads run beside the one group commit in flight. */
  poolSize?: number;
  /** A schema to use instead of `public` (tests give each store its own). */
  schema?: string;
  /** Called with this node's commits once they are delivered here, to publish them to the other nodes. */
  publish?: (events: readonly CommittedEvent[]) => void;
  /** The feed's position check, ms (default 1000). */
  checkMs?: number;
  log?: (message: string) => void;
}

const INT8 = 20;
const NUMERIC_COUNT = 1700;

/** pg's type parsers with BIGINT and COUNT(*) read as numbers: cursors and seqs stay far below 2^53. */
export const numericTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 || oid === NUMERIC_COUNT ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Reads outside a write: one pooled query, its rows. */
const poolQuery =
  (pool: pg.Pool): Query =>
  async <R>(text: string, params?: readonly unknown[]) => {
    try {
      return (await pool.query(statement(text, params))).rows as R[];
    } catch (err) {
      noteFailure(text, err);
      throw err;
    }
  };

/** Bounds on every connection: nothing waits forever on a dead or stuck database. */
const CONNECTION_SETTINGS = {
  // Named in pg_stat_activity, so an operator (or a chaos run) can tell Parley's connections apart.
  application_name: 'parley',
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
  query_timeout: 15_000,
  statement_timeout: 10_000,
  lock_timeout: 5_000,
  idle_in_transaction_session_timeout: 30_000,
  keepAlive: true,
};

export class PgStore extends ComposedStore implements Store {
  readonly media: MediaIndex;
  readonly desk: PgDesk;
  readonly writes: PgGroupCommit;
  /** The whole push stream in order: this node's commits and the other nodes'. */
  readonly feed: StreamFeed;
  private readonly eventLog: PgEventLog;
  private readonly cursors: PgDeviceCursors;
  private readonly userRecords: PgUsers;
  protected readonly parts: StoreParts;
  private closed = false;
  private readonly query: Query;

  private constructor(
    readonly pool: pg.Pool,
    readonly epoch: string,
    opts: PgStoreOptions,
  ) {
    super();
    const now = opts.now;
    const query = poolQuery(pool);
    this.query = query;
    this.eventLog = new PgEventLog(query);
    this.feed = new StreamFeed({ source: { head: () => this.eventLog.streamHead(), between: (a, b, n) => this.eventLog.between(a, b, n) }, checkMs: opts.checkMs, log: opts.log });
    const publish = opts.publish;
    this.writes = new PgGroupCommit(pool, now, {
      committed: async (events) => {
        await this.feed.local(events);
        publish?.(events);
      },
    });
    const write = this.writes.run;
    this.media = new PgMediaIndex(query, write);
    this.desk = new PgDesk(query, write, now);
    this.cursors = new PgDeviceCursors(query, write, now);
    const conversations = new PgConversations(query, write, now);
    // Who is a shop's agent decides who receives its conversations: a change there clears the recipients cached.
    this.userRecords = new PgUsers(query, write, now, () => conversations.forgetRecipients());
    this.parts = {
      conversations,
      messages: new PgMessages(query, write, now),
      userRecords: this.userRecords,
      eventLog: this.eventLog,
      retention: new PgRetention(query, write),
    };
  }

  /** Connect, migrate (one node at a time), and start following the stream. */
  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const schema = opts.schema;
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      ...CONNECTION_SETTINGS,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      types: numericTypes,
    });
    // An idle client's connection dying (a restart, a terminated backend) is reported here; the pool replaces it.
    pool.on('error', (err) => opts.log?.(`postgres: idle connection lost: ${err.message}`));
    try {
      await untilReachable(async () => {
        if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
        await migrate(pool);
      }, opts.log);
      const store = new PgStore(pool, await currentEpoch(poolQuery(pool)), opts);
      await store.feed.start();
      return store;
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
  }

  onCommitted(listener: (events: readonly CommittedEvent[]) => void): void {
    this.feed.onEvents(listener);
  }

  epochEnd(epoch: string): Promise<number | null> {
    return epochEnd(this.query, this.epoch, epoch);
  }

  seed(shops: { id: string; name: string }[], users: Identity[]): Promise<void> {
    return this.userRecords.seed(shops, users);
  }

  getDeviceCursor(userId: string, deviceId: string) {
    return this.cursors.get(userId, deviceId);
  }
  async setDeviceCursor(userId: string, deviceId: string, cursor: number): Promise<void> {
    this.cursors.set(userId, deviceId, cursor);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.feed.stop();
    await this.cursors.close();
    await this.writes.idle();
    await this.pool.end();
  }
}

/** Errors of a database that is down or restarting, which waiting may cure. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
const isTransient = (err: unknown): boolean => {
  const e = err as { code?: string; message?: string } | null;
  return TRANSIENT.has(e?.code ?? '') || /Connection terminated|timeout exceeded when trying to connect/.test(e?.message ?? '');
};

/** How long a starting node waits for its database (a restart, a failover) before it gives up. */
const START_WAIT_MS = 30_000;

/** Run `work`, again while the database is unreachable, with backoff (250 ms doubling to 2 s), up to START_WAIT_MS. */
async function untilReachable(work: () => Promise<void>, log?: (message: string) => void): Promise<void> {
  const deadline = Date.now() + START_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isTransient(err) || Date.now() > deadline) throw err;
      log?.(`postgres: not reachable yet (${(err as Error).message}); trying again`);
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 2_000)));
    }
  }
}

/** Apply the migrations not yet applied, under an advisory lock so nodes starting together take turns. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext(current_schema()))');
    await client.query('CREATE TABLE IF NOT EXISTS parley_schema (version INTEGER NOT NULL)');
    const rows = (await client.query<{ version: number }>('SELECT version FROM parley_schema')).rows;
    let version = rows[0]?.version ?? 0;
    if (rows.length === 0) await client.query('INSERT INTO parley_schema (version) VALUES (0)');
    for (; version < PG_MIGRATIONS.length; version++) {
      await client.query('BEGIN');
      try {
        await client.query(PG_MIGRATIONS[version]!);
        await client.query('UPDATE parley_schema SET version = $1', [version + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    client.release();
  }
}
