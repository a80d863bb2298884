/**
 * Content URL → a URL an `<img>`/`<audio>` can load, in a tab. Local refs become blob: URLs of the
 * bytes the engine stores (kept for the most recent ones, revoked when dropped); server paths are
 * signed by the engine, the tab's asks of one tick sent as one call.
 */
import { ErrorCode, ParleyError } from '../../schema/errors';
import type { LocalFile } from '../../worker/protocol';

export interface MediaSource {
  localMedia(ref: string): Promise<LocalFile | null>;
  signMedia(paths: string[]): Promise<Record<string, string>>;
}

/** blob: URLs kept alive at once (each holds its bytes in the tab's memory). */
const MAX_BLOB_URLS = 64;

export class MediaResolver {
  private readonly blobs = new Map<string, Promise<string>>();
  private batch: Map<string, { resolve(url: string): void; reject(err: unknown): void }[]> | null = null;

  constructor(private readonly source: MediaSource) {}

  resolve(ref: string): Promise<string> {
    if (typeof ref !== 'string') return Promise.reject(new ParleyError(ErrorCode.INVALID_PARAMS, 'a media ref must be a string'));
    if (ref.startsWith('local:')) return this.local(ref);
    if (/^\/media\/[^\s?#/]+$/.test(ref)) return this.signed(ref);
    if (/^https?:\/\/\S+$/i.test(ref)) return Promise.resolve(ref);
    return Promise.reject(new ParleyError(ErrorCode.INVALID_PARAMS, `not a media URL: ${ref.slice(0, 80)}`));
  }

  close(): void {
    for (const p of this.blobs.values()) void p.then((u) => URL.revokeObjectURL(u), () => {});
    this.blobs.clear();
  }

  private local(ref: string): Promise<string> {
    const hit = this.blobs.get(ref);
    if (hit) {
      this.blobs.delete(ref); // most recent last
      this.blobs.set(ref, hit);
      return hit;
    }
    const made = this.source.localMedia(ref).then((file) => {
      if (!file) throw new ParleyError(ErrorCode.NOT_FOUND, `the local file ${ref} is gone (sent or deleted)`);
      return URL.createObjectURL(new Blob([file.bytes.slice()], { type: file.mime }));
    });
    this.blobs.set(ref, made);
    made.catch(() => this.blobs.delete(ref));
    while (this.blobs.size > MAX_BLOB_URLS) {
      const [oldRef, old] = this.blobs.entries().next().value as [string, Promise<string>];
      this.blobs.delete(oldRef);
      void old.then((u) => URL.revokeObjectURL(u), () => {});
    }
    return made;
  }

  private signed(path: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (!this.batch) {
        this.batch = new Map();
        setTimeout(() => this.flush(), 0);
      }
      const list = this.batch.get(path) ?? [];
      list.push({ resolve, reject });
      this.batch.set(path, list);
    });
  }

  private flush(): void {
    const batch = this.batch!;
    this.batch = null;
    this.source.signMedia([...batch.keys()]).then(
      (urls) => {
        for (const [path, waiters] of batch) {
          const url = urls[path];
          for (const w of waiters) url ? w.resolve(url) : w.reject(new ParleyError(ErrorCode.NOT_FOUND, `no URL for ${path}`));
        }
      },
      (err) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }
}
