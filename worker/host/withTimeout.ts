import { ErrorCode, ParleyError } from '../../schema/errors';
import type { Platform } from '../platform';

const globalTimers: Pick<Platform, 'timers'> = {
  timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>) },
};

/** Bound any promise in time: comlink calls to a dead peer never settle on their own. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, platform: Pick<Platform, 'timers'> = globalTimers): Promise<T> {
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
