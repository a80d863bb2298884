/**
 * Fencing a session's writes. With several nodes, a login on node B kicks the user's older session on
 * node A by a broker message; if A is paused (SIGSTOP, a long GC, a partition) it hears nothing and,
 * once it runs again, handles the frames its socket buffered. Each session therefore holds a claim
 * (SessionDirectory) and runs its requests inside that claim's fence: the database write checks the
 * claim is still the newest in the same transaction (PgGroupCommit), so a superseded session's write
 * is refused there, whatever the messages did.
 *
 * The fence travels with the request's async context (AsyncLocalStorage), so handlers and the store
 * interface do not change: the store reads it where it writes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** A session's claim: the user's slot (`scope` '*', single-session policy) or one device's, at `epoch`. */
export interface Fence {
  userId: string;
  scope: string;
  epoch: number;
}

const context = new AsyncLocalStorage<Fence>();

/** Run `work` with its writes fenced by `fence` (null: unfenced, the single-node default). */
export function runFenced<T>(fence: Fence | null, work: () => T): T {
  return fence ? context.run(fence, work) : work();
}

/** The fence of the request being handled, if any. */
export function currentFence(): Fence | undefined {
  return context.getStore();
}

/** A write refused because its session was superseded by a newer login: the session is to be closed, the request not answered. */
export class SessionFenced extends Error {
  override readonly name = 'SessionFenced';
  constructor(readonly fence: Fence) {
    super(`session of ${fence.userId} (${fence.scope}) at claim ${fence.epoch} was superseded`);
  }
}
