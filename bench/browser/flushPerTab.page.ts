/**
 * The reconnect flush, the baseline's side: the per-tab SDK queues messages in its IndexedDB
 * outbox while the server is down, reconnects on its own when it is back (its own backoff, not
 * counted) and resends its whole queue; the page records when it is online again and when its
 * outbox is empty.
 */
import { PerTabSdk } from '../baselines/perTabSdk';

const params = new URLSearchParams(location.search);

const api = {
  sdk: null as PerTabSdk | null,
  onlineAt: 0,

  async open(): Promise<void> {
    const sdk = await PerTabSdk.open({
      wsUrl: `ws://${location.host}/ws`,
      token: params.get('token') ?? '',
      deviceId: `flush-${crypto.randomUUID()}`,
      dbName: `flush-${params.get('as')}`,
      // Reconnect promptly: the backoff is not what this measures.
      reconnectDelayMs: 20,
      maxReconnectDelayMs: 50,
    });
    sdk.onStatus((s) => {
      if (s === 'online') this.onlineAt = performance.timeOrigin + performance.now();
    });
    await sdk.whenOnline();
    this.sdk = sdk;
  },

  async queue(conversationId: string, n: number, tag: string): Promise<number> {
    const t = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => this.sdk!.send(conversationId, `${tag} ${i}`)));
    return performance.now() - t;
  },

  /** Wall time (ms since the epoch) at which the outbox is empty again, polled every 5 ms. */
  async drained(): Promise<number> {
    while ((await this.sdk!.pendingCount()) > 0) await new Promise((r) => setTimeout(r, 5));
    return performance.timeOrigin + performance.now();
  },
};

(window as unknown as { bench: typeof api }).bench = api;
