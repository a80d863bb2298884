import { ErrorCode, ParleyError } from '../schema/errors';

/** Bound a promise in time. Every call across a port needs this: comlink calls to a dead peer never settle. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ParleyError(ErrorCode.REQUEST_TIMEOUT, `${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A promise that never settles: the body of a Web Lock held for a whole lifetime. */
export const forever = (): Promise<never> => new Promise<never>(() => {});

export function randomId(): string {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}
