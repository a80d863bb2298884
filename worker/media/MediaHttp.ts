/**
 * The HTTP the engine needs for media, as a platform piece: a browser gets XMLHttpRequest (the
 * only API with upload progress, and present in SharedWorkers), anything else fetch. Network
 * failures reject with a retryable ParleyError; any HTTP answer resolves with its status.
 */
import { ErrorCode, ParleyError } from '../../schema';

export interface UploadRequest {
  /** Absolute URL, query included. */
  url: string;
  token: string;
  body: Uint8Array;
  mime: string;
  /** Bytes of the body sent so far. */
  onProgress(loaded: number): void;
  /** Abort when no byte moved (and no answer came) for this long: a stalled link, not a slow one. */
  idleTimeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  /** The parsed JSON body, or null when there was none (or it was not JSON). */
  body: unknown;
}

export interface MediaHttp {
  upload(req: UploadRequest): Promise<HttpAnswer>;
  postJson(url: string, token: string, body: unknown, timeoutMs: number): Promise<HttpAnswer>;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

const networkError = (what: string) => new ParleyError(ErrorCode.DISCONNECTED, `${what}: the network failed`);
const stalled = (what: string, ms: number) => new ParleyError(ErrorCode.REQUEST_TIMEOUT, `${what}: nothing moved for ${ms} ms`);

/** XMLHttpRequest: upload progress events, and an idle timer re-armed by each of them. */
export function xhrMediaHttp(): MediaHttp {
  return {
    upload(req) {
      return new Promise<HttpAnswer>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        let idle: ReturnType<typeof setTimeout> | undefined;
        const arm = () => {
          clearTimeout(idle);
          idle = setTimeout(() => {
            xhr.abort();
            reject(stalled('upload', req.idleTimeoutMs));
          }, req.idleTimeoutMs);
        };
        xhr.open('POST', req.url);
        xhr.setRequestHeader('authorization', `Bearer ${req.token}`);
        xhr.setRequestHeader('content-type', req.mime);
        xhr.upload.onprogress = (e) => {
          arm();
          req.onProgress(e.loaded);
        };
        xhr.onprogress = arm;
        xhr.onload = () => {
          clearTimeout(idle);
          resolve({ status: xhr.status, body: parse(xhr.responseText) });
        };
        xhr.onerror = () => {
          clearTimeout(idle);
          reject(networkError('upload'));
        };
        arm();
        // A copy the XHR owns: the caller's view may be into a buffer it reuses.
        xhr.send(new Blob([req.body.slice()], { type: req.mime }));
      });
    },
    postJson: (url, token, body, timeoutMs) => fetchJson(url, token, body, timeoutMs),
  };
}

/** fetch: no upload progress (reported at the start and the end only), a whole-request timer. */
export function fetchMediaHttp(): MediaHttp {
  return {
    async upload(req) {
      req.onProgress(0);
      const controller = new AbortController();
      // Without progress events there is nothing to re-arm: allow the whole body at 16 KiB/s.
      const budget = req.idleTimeoutMs + (req.body.byteLength / 16_384) * 1000;
      const timer = setTimeout(() => controller.abort(), budget);
      try {
        const res = await fetch(req.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${req.token}`, 'content-type': req.mime },
          body: req.body.slice(),
          signal: controller.signal,
        });
        const text = await res.text();
        req.onProgress(req.body.byteLength);
        return { status: res.status, body: parse(text) };
      } catch {
        throw controller.signal.aborted ? stalled('upload', budget) : networkError('upload');
      } finally {
        clearTimeout(timer);
      }
    },
    postJson: (url, token, body, timeoutMs) => fetchJson(url, token, body, timeoutMs),
  };
}

async function fetchJson(url: string, token: string, body: unknown, timeoutMs: number): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    return { status: res.status, body: parse(await res.text()) };
  } catch {
    throw controller.signal.aborted ? stalled(url, timeoutMs) : networkError(url);
  } finally {
    clearTimeout(timer);
  }
}

/** XMLHttpRequest where there is one (windows, dedicated and shared workers), else fetch. */
export function defaultMediaHttp(): MediaHttp {
  return typeof XMLHttpRequest === 'function' ? xhrMediaHttp() : fetchMediaHttp();
}
