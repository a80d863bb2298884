/**
 * WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold (1,000 pages), so about one send in 90 waited for a checkpoint and its
 * fsync of the database file before its ack. Here the writer's automatic checkpoint is off and a
 * second connection, on a worker thread, runs PASSIVE checkpoints: they copy what readers no
 * longer need without taking any lock a writer waits for, and once all of the WAL is copied the
 * next commit starts it over from the top (journal_size_limit then truncates the file).
 *
 * A checkpoint is asked for after every `everyWrites` committed writes (a write is a message or a
 * receipt, a few pages), so at about SQLite's own cadence: not on a short timer, whose fsync of the
 * database file would land beside commits' fsyncs under light load. A slow timer copies what a
 * quiet server wrote since.
 *
 * If the thread cannot start or dies, the writer's automatic checkpoint is turned back on: the
 * WAL must never grow without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export interface CheckpointerOptions {
  /** The database file (its WAL is `${file}-wal`). */
  file: string;
  sync: 'normal' | 'full';
  /** Committed writes between checkpoints. */
  everyWrites: number;
  /** A checkpoint at least this often while anything was written. */
  intervalMs: number;
  log: (message: string) => void;
}

/** What one checkpoint did, in WAL frames (pages): PRAGMA wal_checkpoint's answer. */
export interface CheckpointResult {
  busy: boolean;
  walFrames: number;
  checkpointed: number;
}

/** The writer's automatic checkpoint threshold when the thread is not there (SQLite's default). */
const FALLBACK_AUTOCHECKPOINT = 1000;
/** The WAL file is cut back to this when it starts over. */
export const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** Runs in the worker: plain JavaScript, so it needs no TypeScript loader. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('synchronous = ' + workerData.sync);
const checkpoint = () => {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  return { busy: row.busy === 1, walFrames: row.log, checkpointed: row.checkpointed };
};
parentPort.on('message', (m) => {
  if (m.type === 'due') {
    try { parentPort.postMessage({ type: 'done', result: checkpoint() }); }
    catch (err) { parentPort.postMessage({ type: 'error', message: String(err) }); }
  } else if (m.type === 'now') {
    try { parentPort.postMessage({ type: 'result', id: m.id, result: checkpoint() }); }
    catch (err) { parentPort.postMessage({ type: 'result', id: m.id, error: String(err) }); }
  } else if (m.type === 'stop') {
    db.close();
    parentPort.close();
  }
});
parentPort.postMessage({ type: 'ready' });
`;

type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; result: CheckpointResult }
  | { type: 'error'; message: string }
  | { type: 'result'; id: number; result?: CheckpointResult; error?: string };

export class Checkpointer {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private stopping = false;
  private exited = false;
  /** Writes committed since the last checkpoint was asked for. */
  private written = 0;
  /** A checkpoint asked for has not answered yet: no second one meanwhile. */
  private inFlight = false;
  private readonly timer: NodeJS.Timeout;
  private doneWaiters: ((r: CheckpointResult) => void)[] = [];
  /** Resolves once the thread has opened the database (false when it could not). */
  readonly ready: Promise<boolean>;

  constructor(
    private readonly writer: Database.Database,
    private readonly opts: CheckpointerOptions,
  ) {
    writer.pragma('wal_autocheckpoint = 0');
    writer.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, file: opts.file, sync: opts.sync === 'full' ? 'FULL' : 'NORMAL' },
    });
    this.timer = setInterval(() => this.written > 0 && this.ask(), opts.intervalMs).unref();
    // The thread must not keep the process alive: the store's close() stops it.
    this.worker.unref();
    let settleReady: (ok: boolean) => void = () => {};
    this.ready = new Promise((resolve) => (settleReady = resolve));
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') settleReady(true);
      else if (m.type === 'done') {
        this.inFlight = false;
        for (const w of this.doneWaiters.splice(0)) w(m.result);
      }
      else if (m.type === 'error') {
        // The next threshold or tick asks again.
        this.inFlight = false;
        opts.log(`wal checkpoint failed: ${m.message}`);
      }
      else {
        const waiter = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.result) waiter?.resolve(m.result);
        else waiter?.reject(new Error(m.error ?? 'checkpoint failed'));
      }
    });
    const gone = (why: string) => {
      this.exited = true;
      clearInterval(this.timer);
      settleReady(false);
      for (const w of this.pending.values()) w.reject(new Error(why));
      this.pending.clear();
      if (this.stopping || !writer.open) return;
      opts.log(`wal checkpoint thread ${why}: the writer checkpoints by itself again`);
      writer.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT}`);
    };
    this.worker.on('error', (err) => gone(`failed (${String(err)})`));
    this.worker.on('exit', (code) => gone(`exited (${code})`));
  }

  /** A checkpoint now, on the thread (tests; an operator's tooling). */
  now(): Promise<CheckpointResult> {
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'now', id });
    });
  }

  /** The writer committed `writes` writes: a checkpoint is asked for every `everyWrites`. */
  committed(writes: number): void {
    this.written += writes;
    if (this.written >= this.opts.everyWrites) this.ask();
  }

  private ask(): void {
    if (this.inFlight || this.exited || this.stopping) return;
    this.inFlight = true;
    this.written = 0;
    this.worker.postMessage({ type: 'due' });
  }

  /** Resolves with what the next checkpoint asked for by writes or the timer did. */
  nextDone(): Promise<CheckpointResult> {
    return new Promise((resolve) => this.doneWaiters.push(resolve));
  }

  /** Stops the thread; the writer's own close checkpoints what is left. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.timer);
    if (this.exited) return;
    // Held referenced while it stops: an awaited stop must keep the process alive until it ends.
    this.worker.ref();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
