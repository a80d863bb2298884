/**
 * Runs prepareImage in the client's image worker, off the page's main thread. The worker starts
 * on the first picture and stops after a minute idle. Where a worker cannot run it (no Worker, no
 * OffscreenCanvas, a CSP that blocks the script) the work happens on the main thread instead:
 * slower for the page, but the picture still goes.
 */
import { startImageWorker } from '../links/workers';
import { ErrorCode, ParleyError } from '../../schema/errors';
import { prepareImage, type PreparedImage } from './prepareImage';

/** One picture must be ready within this. */
const PREPARE_TIMEOUT_MS = 30_000;
const IDLE_STOP_MS = 60_000;

type Answer = { id: number; ok: true; value: PreparedImage } | { id: number; ok: false; error: { code: string; message: string } };

export class ImagePreparer {
  private worker: Worker | null = null;
  private workerBroken = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: PreparedImage): void; reject(e: unknown): void }>();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  /** `workerUrl`: undefined for the script beside the client (links/workers.ts). */
  constructor(private readonly workerUrl: string | undefined) {}

  async prepare(file: Blob): Promise<PreparedImage> {
    const worker = this.ensureWorker();
    try {
      return worker ? await this.inWorker(worker, file) : await prepareImage(file);
    } catch (err) {
      throw toParleyError(err);
    }
  }

  close(): void {
    this.stop(new ParleyError(ErrorCode.CLOSED, 'the client is closed'));
  }

  private ensureWorker(): Worker | null {
    if (this.worker) return this.worker;
    if (this.workerBroken || typeof Worker !== 'function' || typeof OffscreenCanvas !== 'function') return null;
    try {
      const worker = startImageWorker(this.workerUrl);
      worker.onmessage = (e: MessageEvent<Answer>) => this.answer(e.data);
      // A script that fails to load (404, CSP): every waiting picture fails, later ones use the main thread.
      worker.onerror = (e) => {
        e.preventDefault?.();
        this.workerBroken = true;
        this.stop(new ParleyError(ErrorCode.INTERNAL, 'the image worker failed to start'));
      };
      this.worker = worker;
      return worker;
    } catch {
      this.workerBroken = true;
      return null;
    }
  }

  private inWorker(worker: Worker, file: Blob): Promise<PreparedImage> {
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise<PreparedImage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ParleyError(ErrorCode.REQUEST_TIMEOUT, `preparing the image took over ${PREPARE_TIMEOUT_MS} ms`));
        this.armIdle();
      }, PREPARE_TIMEOUT_MS);
      this.waiting.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      worker.postMessage({ id, file });
    });
  }

  private answer(a: Answer): void {
    const w = this.waiting.get(a.id);
    if (!w) return;
    this.waiting.delete(a.id);
    if (a.ok) w.resolve(a.value);
    else w.reject(new ParleyError(a.error.code === 'PAYLOAD_TOO_LARGE' ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_PARAMS, a.error.message));
    this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.waiting.size > 0) return;
    this.idleTimer = setTimeout(() => this.stop(null), IDLE_STOP_MS);
  }

  private stop(reason: ParleyError | null): void {
    clearTimeout(this.idleTimer);
    this.worker?.terminate();
    this.worker = null;
    for (const w of this.waiting.values()) w.reject(reason ?? new ParleyError(ErrorCode.CLOSED, 'the image worker stopped'));
    this.waiting.clear();
  }
}

function toParleyError(err: unknown): ParleyError {
  if (ParleyError.is(err)) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = e?.code === 'PAYLOAD_TOO_LARGE' ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_PARAMS;
  return new ParleyError(code, String(e?.message ?? err));
}
