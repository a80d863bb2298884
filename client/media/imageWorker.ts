/// <reference lib="webworker" />
/**
 * The client's image worker (dist/parley/parley-image-worker.js): decodes, resizes and encodes
 * pictures off the page's main thread. One request at a time per message: {id, file} in,
 * {id, ok, value | error} out, the encoded buffers transferred rather than copied.
 */
import { ImageInputError, prepareImage } from './prepareImage';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async (e: MessageEvent<{ id: number; file: Blob }>) => {
  const { id, file } = e.data;
  try {
    const value = await prepareImage(file);
    self.postMessage({ id, ok: true, value }, [value.image.bytes, value.thumb.bytes]);
  } catch (err) {
    const code = err instanceof ImageInputError ? err.code : 'INVALID_PARAMS';
    self.postMessage({ id, ok: false, error: { code, message: String((err as Error)?.message ?? err) } });
  }
};
