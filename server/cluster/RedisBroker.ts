/**
 * The Broker on Redis pub/sub (node-redis): one connection publishes, one subscribes (a subscribed
 * RESP2 connection takes no other commands, and keeping them apart keeps a slow subscriber from
 * delaying publishes). Both reconnect on their own with capped, jittered backoff; node-redis
 * subscribes again after a reconnect. While a connection is down, publishes fail at once instead of
 * queueing without bound (what they carried is read from the database by the other nodes' checks).
 */
import { createClient } from 'redis';
import type { Broker } from './Broker';

/** The slice of a node-redis client used here (its full generic type does not survive createClient's options). */
interface RedisClient {
  readonly isReady: boolean;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  close(): Promise<void>;
  destroy(): void;
}

export interface RedisBrokerOptions {
  url: string;
  log?: (message: string) => void;
  /**
   * How long a starting node waits for Redis (default 30 s, as for PostgreSQL): past it, connect
   * rejects, so a node started without a reachable Redis exits with an error instead of hanging.
   */
  startWaitMs?: number;
}

const START_WAIT_MS = 30_000;

/** Reconnect after 50 ms, doubling up to 2 s, with up to 100 ms of jitter: a restarted Redis is found within ~2 s. */
const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);

/** Host and port of a Redis URL, for messages: never its password. */
const where = (url: string): string => {
  try {
    const u = new URL(url);
    return u.host || url;
  } catch {
    return '(an unparsable URL)';
  }
};

export class RedisBroker implements Broker {
  private constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly log: (message: string) => void,
  ) {}

  static async connect(opts: RedisBrokerOptions): Promise<RedisBroker> {
    const log = opts.log ?? (() => {});
    const make = (role: string) => {
      const client = createClient({
        url: opts.url,
        disableOfflineQueue: true,
        pingInterval: 5_000,
        socket: { connectTimeout: 3_000, reconnectStrategy },
      });
      // Without an 'error' listener node-redis throws, and a client that threw once stops reconnecting.
      client.on('error', (err: Error) => log(`redis ${role}: ${err.message}`));
      return client;
    };
    const pub = make('publish');
    const sub = make('subscribe');
    // connect() keeps retrying (the reconnect strategy) until Redis answers: bound it.
    const connected = Promise.all([pub.connect(), sub.connect()]);
    const waitMs = opts.startWaitMs ?? START_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'gave up'>((resolve) => (timer = setTimeout(() => resolve('gave up'), waitMs)));
    try {
      const outcome = await Promise.race([connected, gaveUp]);
      if (outcome === 'gave up') throw new Error(`redis at ${where(opts.url)} is not reachable (waited ${waitMs} ms)`);
    } catch (err) {
      connected.catch(() => {});
      pub.destroy();
      sub.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return new RedisBroker(pub, sub, log);
  }

  get ready(): boolean {
    return this.pub.isReady && this.sub.isReady;
  }

  publish(channel: string, message: string): void {
    if (!this.pub.isReady) return;
    this.pub.publish(channel, message).catch((err: unknown) => this.log(`redis publish failed: ${String(err)}`));
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    await this.sub.subscribe(channel, (message: string) => handler(message));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pub.close(), this.sub.close()]);
  }
}
