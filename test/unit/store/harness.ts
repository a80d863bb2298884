/**
 * A LocalStore on better-sqlite3 (real SQLite: FTS5, upserts, savepoints), with a switchable full
 * disk, a statement log and a manual clock, plus builders for messages and pushes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Content, ConversationInfo, ConversationView, Message, ReceiptKind } from '../../../schema';
import { BetterSqliteDriver } from '../../../worker/store/betterSqliteDriver';
import { LocalStore, type OutboxWatch } from '../../../worker/store/LocalStore';
import type { PushRecord } from '../../../worker/store/types';

export const ME = 'alice';
export const BOB = 'bob';
export const CAROL = 'carol';
export const SHOP = 'parley-shop';
export const C1 = 'c_1';
export const C2 = 'c_2';
export const T0 = 1_700_000_000_000;

/** Decides which writes fail as if the disk were full; off by default. */
export interface Faults {
  /** Fail every write whose SQL matches (COMMIT is passed as 'COMMIT'). */
  fail: ((sql: string) => boolean) | null;
}

export interface Opened {
  store: LocalStore;
  driver: BetterSqliteDriver;
  faults: Faults;
  /** Every statement run, transaction control included. */
  statements: string[];
  clock: { now: number };
}

const open: LocalStore[] = [];
const dirs: string[] = [];

afterEach(async () => {
  // A store closed by its test is closed again harmlessly: the driver ignores a second close.
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => {})));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory for database files, removed after the test. */
export function tempFile(name = 'parley.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  dirs.push(dir);
  return join(dir, name);
}

export async function openStore(
  opts: { file?: string; userId?: string; partyIds?: string[]; maxBatch?: number; outboxWatch?: OutboxWatch } = {},
): Promise<Opened> {
  const faults: Faults = { fail: null };
  const statements: string[] = [];
  const clock = { now: T0 };
  const driver = new BetterSqliteDriver(opts.file ?? ':memory:', {
    failWrites: (sql) => faults.fail?.(sql) ?? false,
    onStatement: (sql) => statements.push(sql),
  });
  const store = await LocalStore.open(driver, {
    userId: opts.userId ?? ME,
    ...(opts.partyIds ? { partyIds: opts.partyIds } : {}),
    ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
    ...(opts.outboxWatch ? { outboxWatch: opts.outboxWatch } : {}),
    now: () => clock.now,
  });
  open.push(store);
  return { store, driver, faults, statements, clock };
}

export const text = (t: string): Content => ({ type: 'text', text: t });

/** A message as the server stores it: seq n, from `sender`, at T0 + n seconds. */
export function msg(seq: number, o: { sender?: string; conversationId?: string; text?: string; id?: string; content?: Content } = {}): Message {
  return {
    id: o.id ?? randomUUID(),
    conversationId: o.conversationId ?? C1,
    seq,
    senderId: o.sender ?? BOB,
    content: o.content ?? text(o.text ?? `message ${seq}`),
    serverTs: T0 + seq * 1000,
  };
}

/** The server's copy of an own message the store enqueued. */
export function sentCopy(local: { id: string; conversationId: string; content: Content }, seq: number): Message {
  return { id: local.id, conversationId: local.conversationId, seq, senderId: ME, content: local.content, serverTs: T0 + seq * 1000 };
}

export const messagePush = (cursor: number, message: Message): PushRecord => ({ cursor, event: { kind: 'message', message } });

export const receiptPush = (
  cursor: number,
  userId: string,
  receipt: ReceiptKind,
  upToSeq: number,
  conversationId = C1,
): PushRecord => ({ cursor, event: { kind: 'receipt', conversationId, userId, receipt, upToSeq } });

export function info(id: string, o: Partial<ConversationInfo> = {}): ConversationInfo {
  return { id, kind: 'direct', title: `title ${id}`, shopId: SHOP, createdAt: T0, lastSeq: 0, lastActivityAt: T0, ...o };
}

export function view(id: string, o: Partial<ConversationView> = {}): ConversationView {
  return { ...info(id), readSeq: 0, unread: 0, lastMessage: null, ...o };
}

export const conversationPush = (cursor: number, c: ConversationInfo): PushRecord => ({ cursor, event: { kind: 'conversation', conversation: c } });

/** Enqueue a text message from ME, created at `createdAt` (default: the clock). */
export function enqueueText(o: Opened, body: string, conversationId = C1, createdAt = o.clock.now) {
  return o.store.enqueue({ id: randomUUID(), conversationId, content: text(body), createdAt });
}

/** Observe a promise's state without awaiting it. */
export function watch<T>(promise: Promise<T>) {
  const s: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(s, { state: 'fulfilled', value }),
    (error: unknown) => Object.assign(s, { state: 'rejected', error }),
  );
  return s;
}

/** A promise the test resolves when it chooses. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Let queued promise callbacks run (no timers involved). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
