/**
 * The request body as an async iterable that stops at a size limit and checks the type on the
 * first bytes. It reads with `read()` rather than the stream's own iterator, because breaking out
 * of that iterator destroys the socket, and the 413/415 answer still has to go out on it.
 */
import type { IncomingMessage } from 'node:http';
import { sniff, SNIFF_BYTES, type MediaMime } from './sniff';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** Resolves when the request has data to read or has ended; rejects if the client went away. */
function readable(req: IncomingMessage): Promise<void> {
  // The client may have gone while we were writing the last chunk: its 'close' came and went with
  // nobody listening, and waiting for another would hang this upload (and keep its temp file) forever.
  if (req.destroyed && !req.readableEnded) return Promise.reject(new Error('client closed the upload'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      req.off('readable', ok).off('end', ok).off('error', fail).off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const ok = () => done();
    const fail = (e: Error) => done(e);
    const closed = () => done(req.readableEnded ? undefined : new Error('client closed the upload'));
    req.on('readable', ok).on('end', ok).on('error', fail).on('close', closed);
  });
}

async function* chunks(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  let total = 0;
  for (;;) {
    let chunk: Buffer | null;
    while ((chunk = req.read() as Buffer | null) !== null) {
      total += chunk.length;
      if (total > limit) throw new BodyError(413, `more than ${limit} bytes`);
      yield chunk;
    }
    if (req.readableEnded) return;
    await readable(req);
  }
}

/**
 * The body, checked: throws BodyError 413 past `limit` bytes and 415 when the first bytes are
 * not one of `allowed`. `onType` receives the sniffed type before any byte is yielded.
 */
export async function* checkedBody(
  req: IncomingMessage,
  limit: number,
  allowed: readonly MediaMime[],
  onType: (mime: MediaMime) => void,
): AsyncGenerator<Buffer> {
  const head: Buffer[] = [];
  let headBytes = 0;
  let typed = false;
  const check = () => {
    const type = sniff(Buffer.concat(head));
    if (!type || !allowed.includes(type)) throw new BodyError(415, 'not an accepted media type');
    onType(type);
    typed = true;
  };
  for await (const chunk of chunks(req, limit)) {
    if (typed) {
      yield chunk;
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes >= SNIFF_BYTES) {
      check();
      yield* head;
    }
  }
  if (!typed) {
    if (headBytes === 0) throw new BodyError(400, 'empty body');
    check();
    yield* head;
  }
}
