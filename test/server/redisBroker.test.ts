/**
 * The Redis broker's start: node-redis keeps retrying a connect until Redis answers, so a node
 * started without a reachable Redis would hang. The wait is bounded, and the error names where it
 * looked without the URL's password.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { RedisBroker } from '../../server/cluster/RedisBroker';

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('RedisBroker.connect', () => {
  it('gives up after its start wait when nothing answers, naming the host but not the password', async () => {
    const port = await closedPort();
    const logged: string[] = [];
    const failed = await RedisBroker.connect({ url: `redis://:s3cret@127.0.0.1:${port}`, startWaitMs: 300, log: (m) => logged.push(m) }).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failed).toBe(`redis at 127.0.0.1:${port} is not reachable (waited 300 ms)`);
    expect(logged.length).toBeGreaterThan(0); // the refused attempts were logged meanwhile
    expect(logged.join('\n')).not.toContain('s3cret');
  });
});
