/**
 * The relay baseline: the obvious group chat over bare `ws`, with nothing persisted. Every socket
 * is a member of one group; a request frame is answered at once and its message, stamped with a
 * seq, is stringified once and sent to every other member. Frames have the same shape and size
 * as Parley's (`{t:'req'...}` in, `{t:'res'...}` and `{t:'push'...}` out), as plain JSON.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RelayServer {
  /** Connect to `${url}?user=<id>`: the id becomes the sender of that socket's messages. */
  url: string;
  close(): Promise<void>;
}

interface SendRequest {
  id: string;
  params: { conversationId: string; clientId: string; content: unknown };
}

export async function startWsRelay(): Promise<RelayServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const members = new Set<WebSocket>();
  let seq = 0;
  wss.on('connection', (ws, req) => {
    const senderId = new URL(req.url ?? '/', 'http://relay').searchParams.get('user') ?? 'anonymous';
    members.add(ws);
    ws.on('close', () => members.delete(ws));
    ws.on('message', (data) => {
      const { id, params } = JSON.parse(data.toString()) as SendRequest;
      const message = { id: params.clientId, conversationId: params.conversationId, seq: ++seq, senderId, content: params.content, serverTs: Date.now() };
      const push = JSON.stringify({ t: 'push', cursor: seq, event: { kind: 'message', message } });
      for (const m of members) if (m !== ws) m.send(push);
      ws.send(JSON.stringify({ t: 'res', id, ok: true, result: { message, duplicate: false } }));
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
