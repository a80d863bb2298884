/** The fault proxy's new modes and the push-swapping tap, against a local TCP peer. */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxy } from '../support/tcpProxy';
import { SwapControl } from './wsPushSwap';

/**
 * client → proxy → a local server that records what it receives. `upstream` is the server's end of
 * the connection (to write to the client), `sent` what reached the server, `fromServer` the client's.
 */
async function setUp(configure: (proxy: TcpProxy) => void = () => {}) {
  const sent: Buffer[] = [];
  let accept!: (s: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (accept = resolve));
  const server = net.createServer((s) => {
    s.on('data', (d) => sent.push(d)).on('error', () => {});
    accept(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = new TcpProxy((server.address() as AddressInfo).port);
  configure(proxy);
  await proxy.start();
  const client = net.connect(proxy.port, '127.0.0.1');
  client.on('error', () => {});
  const fromServer: Buffer[] = [];
  client.on('data', (d) => fromServer.push(d));
  const upstream = await accepted;
  // Run in reverse: the client and the proxy go first, so the server has no connection left to wait for.
  cleanups.push(
    () => new Promise((r) => server.close(r)),
    () => proxy.close(),
    () => client.destroy(),
  );
  return { proxy, client, upstream, sent, fromServer };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
};
const text = (bufs: Buffer[]) => Buffer.concat(bufs).toString();

describe('TcpProxy faults', () => {
  it('delays every byte by the latency, in order', async () => {
    const { proxy, client, sent } = await setUp();
    proxy.shape({ latencyMs: 300 });
    const start = Date.now();
    client.write('a');
    client.write('b');
    await until(() => text(sent) === 'ab');
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
  });

  it('slices the stream into pieces and keeps their order', async () => {
    const { proxy, client, sent } = await setUp();
    proxy.shape({ sliceBytes: 3, sliceDelayMs: 10 });
    const started = Date.now();
    client.write('abcdefghij');
    await until(() => text(sent) === 'abcdefghij');
    // Four pieces, three pauses between them. (How many reads they arrive in is TCP's business: a
    // busy receiver may read two pieces at once, so their count proves nothing.)
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
  });

  it('keeps the byte order while the shaping changes under it', async () => {
    const { proxy, client, sent } = await setUp();
    let expected = '';
    for (let round = 0; round < 30; round++) {
      proxy.shape(round % 3 === 0 ? {} : round % 3 === 1 ? { sliceBytes: 2, sliceDelayMs: 1 } : { latencyMs: 5 + (round % 7) });
      const piece = `<${round}:${'abcdefgh'.slice(0, 1 + (round % 8))}>`;
      expected += piece;
      client.write(piece);
      await new Promise((r) => setTimeout(r, round % 4));
    }
    await until(() => text(sent).length === expected.length);
    expect(text(sent)).toBe(expected);
  });

  it('resets a connection after N more bytes, cutting the write short', async () => {
    const { proxy, client, sent } = await setUp();
    const closed = new Promise((r) => client.once('close', r));
    proxy.resetAfter(4, 'up');
    client.write('abcdefgh');
    await closed;
    expect(text(sent)).toBe('abcd');
  });

  it('black-holes one direction only', async () => {
    const { proxy, client, upstream, sent, fromServer } = await setUp();
    proxy.setMode('blackhole-up');
    client.write('lost');
    upstream.write('kept');
    await until(() => text(fromServer) === 'kept');
    expect(text(sent)).toBe('');
  });
});

describe('push swap tap', () => {
  /** An unmasked text frame, as a server sends it. */
  const frame = (payload: string) => {
    const body = Buffer.from(payload);
    return Buffer.concat([Buffer.from([0x81, body.length]), body]);
  };
  const push = (cursor: number) => frame(`{"json":{"t":"push","cursor":${cursor}}}`);

  it('delivers a held push right after the next one; other frames pass', async () => {
    const swap = new SwapControl();
    swap.wanted = 1;
    const { upstream, fromServer } = await setUp((proxy) => proxy.setTap(swap.tap()));
    const pong = frame('{"json":{"t":"pong","ts":1}}');
    const all = Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\n'), push(1), pong, push(2), push(3)]);
    // Byte by byte: the tap must find frame boundaries across chunks.
    for (const b of all) upstream.write(Buffer.from([b]));
    const expected = Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\n'), pong, push(2), push(1), push(3)]);
    await until(() => Buffer.concat(fromServer).length === expected.length);
    expect(Buffer.concat(fromServer).equals(expected)).toBe(true);
    expect(swap.made).toBe(1);
  });
});
