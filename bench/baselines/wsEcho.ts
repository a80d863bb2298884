/**
 * The ack-latency baseline: what a send costs over a bare `ws` socket on loopback with nothing
 * behind it. The server parses each request frame and answers with the same shape Parley answers
 * `messages.send` with (the message echoed back with a seq and a server time), as plain JSON; it
 * stores nothing and fans out to no one. The client uses the same library (`ws`) and correlates
 * responses by request id, as Parley's wire client does.
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export interface EchoServer {
  url: string;
  close(): Promise<void>;
}

interface SendRequest {
  id: string;
  params: { conversationId: string; clientId: string; content: unknown };
}

/** A `ws` server on an ephemeral loopback port answering every request frame at once. */
export async function startWsEcho(): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let seq = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as SendRequest;
      const { conversationId, clientId, content } = req.params;
      const message = { id: clientId, conversationId, seq: ++seq, senderId: 'echo', content, serverTs: Date.now() };
      ws.send(JSON.stringify({ t: 'res', id: req.id, ok: true, result: { message, duplicate: false } }));
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** One socket to an echo server; `call` sends a request frame and resolves with its response. */
export interface EchoClient {
  call(type: string, params: SendRequest['params']): Promise<unknown>;
  close(): void;
}

export async function connectEcho(url: string): Promise<EchoClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pending = new Map<string, (result: unknown) => void>();
  let next = 0;
  ws.on('message', (data) => {
    const res = JSON.parse(data.toString()) as { id: string; result: unknown };
    pending.get(res.id)?.(res.result);
    pending.delete(res.id);
  });
  return {
    call: (type, params) =>
      new Promise((resolve) => {
        const id = `r${++next}`;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ t: 'req', id, type, params }));
      }),
    close: () => ws.close(),
  };
}
