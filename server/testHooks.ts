import type { RequestHandlers } from './handlers';
import type { RequestType } from '../schema';
import type { Handler } from './handlers/context';

/**
 * Fault injection for tests. Only constructed when `testHooks` is on, which configFromEnv never
 * allows under NODE_ENV=production. Each hook is a bounded count, so a test cannot leave the
 * server permanently broken by forgetting to reset it.
 */
export class TestHooks {
  /** Request types that get no response at all (the client must time out on its own). */
  readonly neverAnswer = new Set<string>();
  /** Requests held unanswered so far, by type: a test waits for these before it changes the hooks. */
  private readonly held = new Map<string, number>();
  private readonly drops = new Map<string, number>();
  private duplicates = 0;
  private skips = 0;
  private readonly crashes = new Map<string, number>();

  /** Execute (and commit) the next `n` requests of `type`, then drop their responses: a lost ack. */
  dropResponses(type: string, n: number): void {
    this.drops.set(type, (this.drops.get(type) ?? 0) + n);
  }

  /** Send each of the next `n` pushes twice. */
  duplicatePushes(n: number): void {
    this.duplicates += n;
  }

  /** Never send the next `n` pushes (as if lost), but go on with later ones: the client sees a seq gap. */
  skipPushes(n: number): void {
    this.skips += n;
  }

  /**
   * Kill the server process (SIGKILL: no cleanup, no close frames) when the response to the `n`-th
   * next request of `type` is due: after its handler committed and published its push events, before
   * the `res` is written. For a send, the message is stored and may have reached other sockets, and
   * the sender never hears back: a crash between store and ack. Only for a server in a child process.
   */
  crashOnResponse(type: string, n: number): void {
    this.crashes.set(type, Math.max(1, Math.floor(n)));
  }

  takeSkipPush(): boolean {
    if (this.skips <= 0) return false;
    this.skips--;
    return true;
  }

  takeDropResponse(type: string): boolean {
    const crashIn = this.crashes.get(type);
    if (crashIn !== undefined) {
      if (crashIn <= 1) process.kill(process.pid, 'SIGKILL');
      this.crashes.set(type, crashIn - 1);
    }
    const left = this.drops.get(type) ?? 0;
    if (left <= 0) return false;
    this.drops.set(type, left - 1);
    return true;
  }

  takeDuplicatePush(): boolean {
    if (this.duplicates <= 0) return false;
    this.duplicates--;
    return true;
  }

  /** How many requests of `type` were received and held unanswered (neverAnswer) so far. */
  heldUnanswered(type: string): number {
    return this.held.get(type) ?? 0;
  }

  holdUnanswered(type: string): void {
    this.held.set(type, this.heldUnanswered(type) + 1);
  }

  reset(): void {
    this.neverAnswer.clear();
    this.held.clear();
    this.drops.clear();
    this.crashes.clear();
    this.duplicates = 0;
    this.skips = 0;
  }

  /** Apply a JSON body from POST /__test/hooks. */
  apply(body: unknown): void {
    if (typeof body !== 'object' || body === null) throw new Error('hooks body must be an object');
    const b = body as Record<string, unknown>;
    if (b.reset === true) this.reset();
    if (typeof b.neverAnswer === 'string') this.neverAnswer.add(b.neverAnswer);
    if (typeof b.dropResponses === 'object' && b.dropResponses !== null) {
      const d = b.dropResponses as { type?: unknown; count?: unknown };
      if (typeof d.type === 'string' && typeof d.count === 'number') this.dropResponses(d.type, d.count);
    }
    if (typeof b.duplicatePushes === 'number') this.duplicatePushes(b.duplicatePushes);
    if (typeof b.skipPushes === 'number') this.skipPushes(b.skipPushes);
    if (typeof b.crashOnResponse === 'object' && b.crashOnResponse !== null) {
      const c = b.crashOnResponse as { type?: unknown; count?: unknown };
      if (typeof c.type === 'string' && typeof c.count === 'number') this.crashOnResponse(c.type, c.count);
    }
  }
}

const never = (): Promise<never> => new Promise<never>(() => {});

/**
 * The handlers with the request hooks around them, put in place when the server is wired (the
 * sessions know nothing of them): a request of a type in `neverAnswer` is never run nor answered;
 * one whose response is to be dropped runs (and commits) and is then not answered.
 */
export function withRequestHooks(handlers: RequestHandlers, hooks: TestHooks): RequestHandlers {
  type AnyHandler = (ctx: Parameters<Handler<RequestType>>[0], params: unknown) => Promise<unknown>;
  const wrapped: Record<string, AnyHandler> = {};
  for (const [type, handler] of Object.entries(handlers) as [string, AnyHandler][]) {
    wrapped[type] = async (ctx, params) => {
      if (hooks.neverAnswer.has(type)) {
        hooks.holdUnanswered(type);
        return never();
      }
      const result = await handler(ctx, params);
      if (hooks.takeDropResponse(type)) return never();
      return result;
    };
  }
  return wrapped as unknown as RequestHandlers;
}

/**
 * A socket's push sender with the push hooks around it: a push skipped is lost on the way (the next
 * push's `prev` names it, so the client sees the hole and replays); a duplicated one goes twice.
 */
export function withPushHooks<F>(send: (frame: F) => void, hooks: TestHooks): (frame: F) => void {
  return (frame) => {
    if (hooks.takeSkipPush()) return;
    send(frame);
    if (hooks.takeDuplicatePush()) send(frame);
  };
}
