/** A scripted MediaHttp: each upload is answered by the next step, and every request is recorded. */
import { ErrorCode, ParleyError } from '../../../schema';
import type { HttpAnswer, MediaHttp, UploadRequest } from '../../../worker/media/MediaHttp';

export type UploadStep =
  /** Report progress up to `upTo` bytes (default all), then answer. */
  | { answer: HttpAnswer; upTo?: number }
  /** Report progress up to `upTo` bytes, then the link fails. */
  | { cutAt: number };

export class FakeMediaHttp implements MediaHttp {
  readonly uploads: { url: URL; token: string; size: number; mime: string }[] = [];
  readonly posts: { url: string; body: unknown }[] = [];
  private steps: UploadStep[] = [];
  private stored = 0;
  /** What postJson answers (or throws). */
  post: (url: string, body: unknown) => HttpAnswer = () => ({ status: 500, body: null });

  /** Queue answers for the next uploads; when none is queued an upload stores a new file (201). */
  script(...steps: UploadStep[]): void {
    this.steps.push(...steps);
  }

  async upload(req: UploadRequest): Promise<HttpAnswer> {
    const url = new URL(req.url);
    this.uploads.push({ url, token: req.token, size: req.body.byteLength, mime: req.mime });
    const step = this.steps.shift() ?? { answer: { status: 201, body: { url: `/media/${(++this.stored).toString(16).padStart(32, '0')}` } } };
    req.onProgress(0);
    if ('cutAt' in step) {
      req.onProgress(step.cutAt);
      throw new ParleyError(ErrorCode.DISCONNECTED, 'upload: the network failed');
    }
    req.onProgress(step.upTo ?? req.body.byteLength);
    return step.answer;
  }

  async postJson(url: string, _token: string, body: unknown): Promise<HttpAnswer> {
    this.posts.push({ url, body });
    return this.post(url, body);
  }
}
