/**
 * Messages between the nodes of a cluster: at most once, possibly late, possibly lost (Redis pub/sub
 * under the hood). Nothing that must arrive travels here alone: the push stream is filled from the
 * database when a message is missed (StreamFeed), and a kick is backed by the fence on writes.
 */
export interface Broker {
  /** Send to every node subscribed, this one included; never throws (a message may be lost). */
  publish(channel: string, message: string): void;
  /** Hear a channel's messages; resolves once subscribed. Subscriptions survive reconnects. */
  subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  /** Connected now (what /healthz reports). */
  readonly ready: boolean;
  close(): Promise<void>;
}
