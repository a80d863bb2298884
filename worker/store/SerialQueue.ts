/**
 * Runs async jobs one at a time, in call order. A job's failure does not stop the ones after it.
 * wa-sqlite needs this: an Asyncify build corrupts its stack if a second call enters while the
 * first is suspended in an async VFS method.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Resolves once every job queued so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => {});
  }
}
