/**
 * A device's actions (sends, reads, restarts) run one after another in schedule order, as one
 * user does them. An action's error is reported, never thrown into the chain: the next one runs.
 */
export class ActionChain {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly report: (label: string, err: unknown) => void) {}

  /** Queue `fn` behind the earlier actions; resolves when it has run (or failed). */
  enqueue(label: string, fn: () => Promise<void>): Promise<void> {
    const next = this.tail.then(fn).catch((err: unknown) => this.report(label, err));
    this.tail = next;
    return next;
  }

  /** Resolves when every queued action has run. */
  idle(): Promise<void> {
    return this.tail;
  }
}
