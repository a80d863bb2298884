/**
 * The parent's handle on the chaos server (serverMain.ts in a child process): start, SIGKILL,
 * restart on the same data dir and port, arm crash points, and the server's test hooks over HTTP.
 * An exit the parent did not ask for (a crash point fired) is reported to `onCrash`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serverMain.ts');
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const READY_MS = 30_000;
const OUTPUT_KEEP = 20_000;

export type CrashPoint = 'receive' | 'commit';

export interface ChaosServerOptions {
  dataDir: string;
  pushResendMs?: number;
  /** An exit nobody asked for (a crash point or hook fired). */
  onCrash?: (detail: string) => void;
  /** Browser origins allowed to open the socket (the browser devices' pages), read at each start. */
  allowedOrigins?: () => string[];
  /** More environment for the child (a cluster node's database and Redis). */
  env?: Record<string, string>;
}

/**
 * What the chaos run's nemesis and harness need of the server side: one process (ChaosServer), or
 * several nodes behind a load balancer (ChaosCluster), at `port` either way.
 */
export interface ChaosBackend {
  readonly up: boolean;
  readonly port: number;
  readonly url: string;
  /** Processes started, the first ones included. */
  readonly starts: number;
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  armCrash(point: CrashPoint, after: number): boolean;
  disarm(): void;
  hooks(body: Record<string, unknown>): Promise<boolean>;
  output(): string;
}

export class ChaosServer implements ChaosBackend {
  private child: ChildProcess | null = null;
  private expectingExit = false;
  private out = '';
  port = 0;
  /** Processes started, the first one included. */
  starts = 0;

  constructor(private readonly options: ChaosServerOptions) {}

  get up(): boolean {
    return this.child !== null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The child's recent stderr, for failure messages. */
  output(): string {
    return this.out;
  }

  /** Start (or restart) on the same data dir; the first start picks the port, later ones reuse it. */
  async start(): Promise<void> {
    if (this.child) return;
    const child = fork(MAIN, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        CHAOS_DATA_DIR: this.options.dataDir,
        CHAOS_PORT: String(this.port),
        CHAOS_PUSH_RESEND_MS: String(this.options.pushResendMs ?? 2000),
        CHAOS_ALLOWED_ORIGINS: (this.options.allowedOrigins?.() ?? []).join(','),
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (d: Buffer) => (this.out = (this.out + d.toString()).slice(-OUTPUT_KEEP));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.starts++;
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`chaos server not ready within ${READY_MS} ms:\n${this.out}`));
      }, READY_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`chaos server exited (${code ?? signal}) before it was ready:\n${this.out}`));
      });
      child.on('message', (m: { type?: string; port?: number }) => {
        if (m.type !== 'ready' || typeof m.port !== 'number') return;
        clearTimeout(timer);
        resolve(m.port);
      });
    });
    this.port = port;
    this.child = child;
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => {
      this.child = null;
      const expected = this.expectingExit;
      this.expectingExit = false;
      if (!expected) this.options.onCrash?.(`exit ${code ?? signal}`);
    });
  }

  /** SIGSTOP (a paused node: it holds its sockets and hears nothing) until resume(). */
  pause(): boolean {
    return this.child?.kill('SIGSTOP') ?? false;
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGKILL now; resolves once the process is gone. */
  kill9(): Promise<void> {
    return this.killWith('SIGKILL');
  }

  /** A clean stop (the server closes its sockets and database). */
  stop(): Promise<void> {
    return this.killWith('SIGTERM');
  }

  private killWith(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.expectingExit = true;
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Arm a crash point (see serverMain.ts); false when the server is down. */
  armCrash(point: CrashPoint, after: number): boolean {
    if (!this.child?.connected) return false;
    this.child.send({ type: 'crash', point, after });
    return true;
  }

  disarm(): void {
    if (this.child?.connected) this.child.send({ type: 'disarm' });
  }

  /** The sessions the server holds (GET /__test/sessions); null when it is down or did not answer. */
  async sessions(): Promise<{ userId: string; deviceId: string; claim: number | null }[] | null> {
    if (!this.child) return null;
    try {
      const res = await fetch(`${this.url}/__test/sessions`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? ((await res.json()) as { userId: string; deviceId: string; claim: number | null }[]) : null;
    } catch {
      return null;
    }
  }

  /** POST the server's test hooks (server/testHooks.ts); false when the server is down or refused. */
  async hooks(body: Record<string, unknown>): Promise<boolean> {
    if (!this.child) return false;
    try {
      const res = await fetch(`${this.url}/__test/hooks`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}
