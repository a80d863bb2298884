/**
 * Half-open detection, the tab's side: the real client (the built bundle), loaded and connected
 * through Node's TCP proxy, with the heartbeat from the URL; records when the connection next leaves `online`, and
 * why, so Node can time a cut it makes.
 */
type State = { status: string; lastError?: { code: string; message: string } };
type Client = { state: State; on(type: 'state', listener: (e: { state: State }) => void): () => void };

/** When the connection left online (ms since the epoch) and the error it left with. */
export interface Drop {
  at: number;
  status: string;
  code: string;
  message: string;
}

const params = new URLSearchParams(location.search);
const num = (key: string) => Number(params.get(key));

const api = {
  client: null as Client | null,

  async open(): Promise<void> {
    // Loaded at run time like a shop loads it (a variable keeps esbuild from bundling it).
    const clientUrl = '/parley/parley-client.js';
    const { connect } = (await import(clientUrl)) as { connect: (o: unknown) => Promise<Client> };
    const token = params.get('token') ?? '';
    this.client = await connect({
      user: params.get('as'),
      getToken: async () => token,
      workerUrl: '/parley/parley-worker.js',
      imageWorkerUrl: '/parley/parley-image-worker.js',
      engine: {
        heartbeat: { intervalMs: num('hb'), timeoutMs: num('hbt') },
        // Back quickly between runs; never give up over a long run of cuts.
        reconnect: { baseDelayMs: 50, maxDelayMs: 200, jitter: 0, maxAttempts: 1_000, stableAfterMs: 1_000 },
      },
    });
    await this.online();
  },

  /** Resolves once the connection is online. */
  online(): Promise<void> {
    const client = this.client!;
    return new Promise((resolve) => {
      if (client.state.status === 'online') return resolve();
      const off = client.on('state', ({ state }) => {
        if (state.status === 'online') (off(), resolve());
      });
    });
  },

  /** Resolves when the connection next leaves online. */
  nextDrop(): Promise<Drop> {
    return new Promise((resolve) => {
      const off = this.client!.on('state', ({ state }) => {
        if (state.status === 'online') return;
        off();
        resolve({ at: performance.timeOrigin + performance.now(), status: state.status, code: state.lastError?.code ?? '', message: state.lastError?.message ?? '' });
      });
    });
  },
};

(window as unknown as { bench: typeof api }).bench = api;
