/**
 * The embedded default Store: better-sqlite3 in WAL mode. Writes go through group commit: those
 * that arrive in one turn of the event loop share one IMMEDIATE transaction (each in its own
 * savepoint), and each write's promise settles after that commit, so a caller that answers the
 * client afterwards never acks something a crash could lose. With synchronous=FULL (the default)
 * that holds for power loss too, at one fsync per group rather than per write.
 *
 * This class opens the database, runs the migrations, owns the group commit and wires the parts
 * (users, conversations, messages, the event log, epochs, device cursors, media), each a file of
 * its own; ComposedStore delegates most Store methods to them.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Identity } from '../../auth/tokens';
import type { CommittedEvent, MediaIndex, Store } from '../Store';
import { ComposedStore, type StoreParts } from '../ComposedStore';
import { Checkpointer } from './Checkpointer';
import { GroupCommit } from './GroupCommit';
import { MIGRATIONS } from './migrations';
import type { AppendEvent, Write } from './ports';
import { SqliteConversations } from './SqliteConversations';
import { SqliteDeviceCursors } from './SqliteDeviceCursors';
import { SqliteEpochs } from './SqliteEpochs';
import { SqliteEventLog } from './SqliteEventLog';
import { SqliteMediaIndex } from './SqliteMediaIndex';
import { SqliteMessages } from './SqliteMessages';
import { SqliteDesk } from './SqliteDesk';
import { SqliteRetention } from './SqliteRetention';
import { SqliteUsers } from './SqliteUsers';
import { statementCache } from './statements';

export interface SqliteStoreOptions {
  dataDir: string;
  sync: 'normal' | 'full';
  now: () => number;
  /** WAL checkpoints, made on a thread of their own (Checkpointer): after this many committed writes (default 500)… */
  checkpointWrites?: number;
  /** …or this long after a write at most (default 10 s). */
  checkpointMs?: number;
  log?: (message: string) => void;
}

export class SqliteStore extends ComposedStore implements Store {
  readonly db: Database.Database;
  readonly media: MediaIndex;
  readonly desk: SqliteDesk;
  readonly epoch: string;
  /** Every write after start-up goes through here: one commit (and fsync) per turn of the event loop. */
  readonly writes: GroupCommit;
  /** WAL checkpoints, off the request path. */
  readonly checkpointer: Checkpointer;
  private readonly committedListeners: ((events: readonly CommittedEvent[]) => void)[] = [];
  private readonly eventLog: SqliteEventLog;
  private readonly epochs: SqliteEpochs;
  /** Devices' acked cursors, written lazily. */
  private readonly cursors: SqliteDeviceCursors;
  private readonly userRecords: SqliteUsers;
  protected readonly parts: StoreParts;

  constructor(opts: SqliteStoreOptions) {
    super();
    fs.mkdirSync(opts.dataDir, { recursive: true });
    this.db = new Database(path.join(opts.dataDir, 'parley.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    const now = opts.now;
    this.migrate();
    const sql = statementCache(this.db);
    this.eventLog = new SqliteEventLog(sql, now);
    this.writes = new GroupCommit(this.db, {
      committed: (writes) => {
        const events = this.eventLog.takeCommitted();
        if (events.length > 0) for (const l of this.committedListeners) l(events);
        // Not there yet during start-up's own writes (the epoch).
        this.checkpointer?.committed(writes);
      },
      aborted: () => this.eventLog.dropGroup(),
    });
    this.media = new SqliteMediaIndex(this.db, this.writes);
    this.cursors = new SqliteDeviceCursors(this.db, this.writes, now);
    this.epochs = SqliteEpochs.begin(this.db, sql, now);
    this.epoch = this.epochs.current;
    const write: Write = (work) => this.writes.run(() => this.eventLog.withinWrite(work));
    const append: AppendEvent = (conversationId, event, origin) => this.eventLog.append(conversationId, event, origin);
    const conversations = new SqliteConversations(sql, write, now, append);
    this.userRecords = new SqliteUsers(this.db, sql, write, now, () => conversations.forgetRecipients());
    this.desk = new SqliteDesk(sql, write, now);
    this.parts = {
      conversations,
      messages: new SqliteMessages(sql, write, now, append, (user, id) => conversations.partyInSync(user, id)),
      // Who is a shop's agent decides who receives its conversations: a change there clears the recipients cached.
      userRecords: this.userRecords,
      eventLog: this.eventLog,
      retention: new SqliteRetention(sql, write),
    };
    this.checkpointer = new Checkpointer(this.db, {
      file: path.join(opts.dataDir, 'parley.db'),
      sync: opts.sync,
      everyWrites: opts.checkpointWrites ?? 500,
      intervalMs: opts.checkpointMs ?? 10_000,
      log: opts.log ?? (() => {}),
    });
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = current; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      }).immediate();
    }
  }

  onCommitted(listener: (events: readonly CommittedEvent[]) => void): void {
    this.committedListeners.push(listener);
  }

  epochEnd(epoch: string) {
    return this.epochs.epochEnd(epoch);
  }

  /** Seed shops and users if absent (idempotent). */
  seed(shops: { id: string; name: string }[], users: Identity[]): void {
    this.userRecords.seed(shops, users);
  }

  async getDeviceCursor(userId: string, deviceId: string): Promise<number> {
    return this.cursors.get(userId, deviceId);
  }

  async setDeviceCursor(userId: string, deviceId: string, cursor: number): Promise<void> {
    this.cursors.set(userId, deviceId, cursor);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.cursors.close();
    this.writes.flush();
    await this.checkpointer.stop();
    this.db.close();
  }
}
