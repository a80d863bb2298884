import { ErrorCode, ParleyError } from '../../schema';
import type { Platform } from '../platform';

/** Bound any promise in time: comlink calls to a dead peer never settle on their own. */
export function withTimeout<T>(promise: Promise<T>, ms: number, platform: Pick<Platform, 'timers'>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = platform.timers.setTimeout(
      () => reject(new ParleyError(ErrorCode.REQUEST_TIMEOUT, `${what} did not answer within ${ms} ms`)),
      ms,
    );
    promise.then(
      (v) => {
        platform.timers.clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        platform.timers.clearTimeout(timer);
        reject(e);
      },
    );
  });
}
