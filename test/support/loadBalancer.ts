/**
 * A TCP load balancer in front of several server nodes, as a deployment has (no sticky sessions):
 * each new connection goes to the next node round-robin; a node that refuses the connection is
 * skipped for the next one. It does nothing to open connections: a node that dies drops its own.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export class LoadBalancer {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private next = 0;
  /** Connections handed to each backend port, in all. */
  readonly handed = new Map<number, number>();

  constructor(private backends: number[]) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Replace the pool (a node restarted on a new port, or was taken out). */
  setBackends(ports: number[]): void {
    this.backends = ports;
  }

  private accept(client: net.Socket, tried = 0): void {
    this.open.add(client);
    client.on('close', () => this.open.delete(client));
    client.on('error', () => client.destroy());
    if (this.backends.length === 0 || tried >= this.backends.length) return void client.destroy();
    const port = this.backends[this.next++ % this.backends.length]!;
    // Bytes the client sends before the backend answers wait in the client socket (paused).
    client.pause();
    const upstream = net.connect(port, '127.0.0.1');
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.handed.set(port, (this.handed.get(port) ?? 0) + 1);
      upstream.pipe(client);
      client.pipe(upstream);
      client.resume();
    });
    upstream.once('error', () => {
      if (!connected) {
        // Refused: try the next node for this same client.
        this.open.delete(client);
        client.removeAllListeners('close');
        client.removeAllListeners('error');
        this.accept(client, tried + 1);
      } else client.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
