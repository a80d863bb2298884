/**
 * Uploads an outbox message's files before it is sent. Files already uploaded (their url stored)
 * are skipped, so after a reload or a cut only what is missing goes up again; a file cut mid-way
 * is sent again whole under the same upload id, which the server answers with the first upload's
 * URL (it keeps no partial uploads). Only once every file has a URL does the content take them:
 * a message pointing at a file the server does not hold is never sent.
 */
import { ErrorCode, ParleyError, type Content } from '../../schema';
import type { Clock } from '../platform';
import type { OutboxItem } from '../store/types';
import { httpError } from './httpErrors';
import type { MediaHttp } from './MediaHttp';
import type { LocalFile, PendingUpload } from './types';

export interface UploadStore {
  uploadsOf(messageId: string): Promise<PendingUpload[]>;
  localFile(uploadId: string): Promise<LocalFile | null>;
  setUploadUrl(uploadId: string, url: string): Promise<boolean>;
  finishUploads(messageId: string): Promise<Content>;
}

export interface UploadProgress {
  messageId: string;
  conversationId: string;
  loaded: number;
  total: number;
  done: boolean;
}

export interface MediaUploaderDeps {
  store: UploadStore;
  http: MediaHttp;
  /** HTTP origin (and path prefix) of the server's media endpoints, e.g. 'https://chat.shop.example'. */
  baseUrl: string;
  getToken(fresh: boolean): Promise<string>;
  clock: Clock;
  progress(p: UploadProgress): void;
}

/** An upload with no byte moving for this long is abandoned (and retried by the outbox). */
export const UPLOAD_IDLE_TIMEOUT_MS = 20_000;
/** Progress is reported at most this often per message (plus its start and its end). */
const PROGRESS_EVERY_MS = 100;

export class MediaUploader {
  constructor(private readonly deps: MediaUploaderDeps) {}

  /** Uploads what is missing, then returns the content with the server's URLs, ready to send. */
  async prepare(item: Omit<OutboxItem, 'orderKey'>): Promise<Content> {
    const { store } = this.deps;
    const files = await store.uploadsOf(item.messageId);
    if (files.length === 0) throw new ParleyError(ErrorCode.NOT_FOUND, `the files of message ${item.messageId} are gone`);
    const total = files.reduce((n, f) => n + f.size, 0);
    let done = files.filter((f) => f.url !== null).reduce((n, f) => n + f.size, 0);
    let lastReport = -Infinity;
    const report = (loaded: number, final = false) => {
      const now = this.deps.clock.now();
      if (!final && now - lastReport < PROGRESS_EVERY_MS && loaded > 0) return;
      lastReport = now;
      this.deps.progress({ messageId: item.messageId, conversationId: item.conversationId, loaded, total, done: final });
    };
    report(done);
    for (const f of files) {
      if (f.url !== null) continue;
      const url = await this.uploadOne(item.conversationId, f, (loaded) => report(done + Math.min(loaded, f.size)));
      if (!(await store.setUploadUrl(f.uploadId, url))) {
        throw new ParleyError(ErrorCode.NOT_FOUND, `message ${item.messageId} was deleted while uploading`);
      }
      done += f.size;
    }
    const content = await store.finishUploads(item.messageId);
    report(total, true);
    return content;
  }

  private async uploadOne(conversationId: string, f: PendingUpload, onProgress: (loaded: number) => void): Promise<string> {
    const file = await this.deps.store.localFile(f.uploadId);
    if (!file) throw new ParleyError(ErrorCode.NOT_FOUND, `file ${f.uploadId} is gone`);
    const query = new URLSearchParams({ conversationId, kind: f.kind, uploadId: f.uploadId });
    const url = `${this.deps.baseUrl}/media?${query}`;
    for (const fresh of [false, true]) {
      const token = await this.deps.getToken(fresh);
      const answer = await this.deps.http.upload({ url, token, body: file.bytes, mime: file.mime, onProgress, idleTimeoutMs: UPLOAD_IDLE_TIMEOUT_MS });
      if (answer.status === 200 || answer.status === 201) {
        const path = (answer.body as { url?: unknown } | null)?.url;
        if (typeof path !== 'string' || !/^\/media\/[^\s?#]+$/.test(path)) {
          throw new ParleyError(ErrorCode.INTERNAL, `the server answered the upload without a media path`);
        }
        return path;
      }
      const err = httpError('upload', answer);
      // An expired token: ask the tabs for a fresh one, once.
      if (err.code === ErrorCode.TOKEN_EXPIRED && !fresh) continue;
      throw err;
    }
    throw new ParleyError(ErrorCode.TOKEN_EXPIRED, 'upload: a fresh token was refused as expired');
  }
}
