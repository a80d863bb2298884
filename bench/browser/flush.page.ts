/**
 * The reconnect flush, Parley's side: a tab with the real client (the built bundle, as a shop
 * loads it) queues messages while the server is down; Node brings the server back and calls
 * `reconnect()`; the page records when the socket is back and when the last message is sent.
 */
export type Client = {
  state: { status: string };
  on(type: string, listener: (e: { type: string }) => void): () => void;
  request(type: string, params: unknown): Promise<any>;
  send(conversationId: string, content: unknown): Promise<{ id: string }>;
  watchMessages(conversationId: string, listener: (messages: { state: string }[]) => void, opts: { limit: number }): () => void;
  reconnect(): Promise<void>;
};

const params = new URLSearchParams(location.search);
const user = params.get('as') ?? 'alice';
const token = params.get('token') ?? '';

const api = {
  client: null as Client | null,
  conversationId: '',
  onlineAt: 0,

  async open(): Promise<void> {
    // The built client, loaded at run time like a shop loads it (a variable keeps esbuild from bundling it).
    const clientUrl = '/parley/parley-client.js';
    const { connect } = (await import(clientUrl)) as { connect: (o: unknown) => Promise<Client> };
    const client = await connect({ user, getToken: async () => token, workerUrl: '/parley/parley-worker.js', imageWorkerUrl: '/parley/parley-image-worker.js' });
    this.client = client;
    client.on('connect_success', () => void (this.onlineAt = performance.timeOrigin + performance.now()));
    await new Promise<void>((resolve) => {
      if (client.state.status === 'online') return resolve();
      const off = client.on('state', () => client.state.status === 'online' && (off(), resolve()));
    });
    const { conversation } = await client.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    this.conversationId = conversation.id;
  },

  /** Queue n texts (the server is down: they stay pending). Returns how long storing them took. */
  async queue(n: number, runTag: string): Promise<number> {
    const t = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => this.client!.send(this.conversationId, { type: 'text', text: `${runTag} ${i}` })));
    return performance.now() - t;
  },

  /**
   * Resolves with the wall time (ms since the epoch) at which the newest message is sent. One
   * conversation's queue goes out in order, so the newest sent means all are (the server's count,
   * checked in Node, rules out failures). Watches the latest 50, as a chat UI does: a watch of all
   * n would re-read n rows after every batch and slow down the very flush it measures.
   */
  allSent(n: number): Promise<number> {
    return new Promise((resolve) => {
      const off = this.client!.watchMessages(
        this.conversationId,
        (messages) => {
          if (messages.length >= Math.min(n, 50) && messages.every((m) => m.state !== 'pending' && m.state !== 'failed')) {
            resolve(performance.timeOrigin + performance.now());
            queueMicrotask(() => off());
          }
        },
        { limit: Math.min(n, 50) },
      );
    });
  },
};

(window as unknown as { bench: typeof api }).bench = api;
