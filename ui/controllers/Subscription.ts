/**
 * The one way the kit binds an element to the engine: subscribe in hostConnected, unsubscribe in
 * hostDisconnected, and resubscribe before a render when what the subscription depends on (the
 * client, the conversation id, the page size...) changed.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';

/** The key of a subscription that depends on the client alone: runs once there is one. */
export function clientKey(client: () => ParleyClient | null): () => readonly [ParleyClient] | null {
  return () => {
    const c = client();
    return c ? ([c] as const) : null;
  };
}

export class Subscription<K extends readonly unknown[]> implements ReactiveController {
  private off: (() => void) | null = null;
  private key: K | null = null;

  /**
   * @param keyOf what the subscription depends on, or null when it cannot run (e.g. no client yet)
   * @param subscribe starts it for that key; returns the unsubscribe
   */
  constructor(
    host: ReactiveControllerHost,
    private readonly keyOf: () => K | null,
    private readonly subscribe: (key: K) => () => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.sync();
  }

  hostUpdate(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.stop();
  }

  private sync(): void {
    const key = this.keyOf();
    if (this.off && key && this.key && key.length === this.key.length && key.every((k, i) => k === this.key![i])) return;
    this.stop();
    if (!key) return;
    this.key = key;
    this.off = this.subscribe(key);
  }

  private stop(): void {
    this.off?.();
    this.off = null;
    this.key = null;
  }
}

/** Re-render the host whenever a page-wide source changes (locale tables, registered templates). */
export class RerenderOn implements ReactiveController {
  private offs: (() => void)[] = [];

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly sources: ((listener: () => void) => () => void)[],
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.offs = this.sources.map((on) => on(() => this.host.requestUpdate()));
  }

  hostDisconnected(): void {
    for (const off of this.offs) off();
    this.offs = [];
  }
}
