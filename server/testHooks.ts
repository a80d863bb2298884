/**
 * Fault injection for tests. Only constructed when `testHooks` is on, which configFromEnv never
 * allows under NODE_ENV=production. Each hook is a bounded count, so a test cannot leave the
 * server permanently broken by forgetting to reset it.
 */
export class TestHooks {
  /** Request types that get no response at all (the client must time out on its own). */
  readonly neverAnswer = new Set<string>();
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

  reset(): void {
    this.neverAnswer.clear();
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
