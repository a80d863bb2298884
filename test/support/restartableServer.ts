/**
 * A real server on loopback that can go down and come back on the same port and data directory,
 * for browser tests and benchmarks (a page keeps its URL across the outage).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createParleyServer, type ParleyServer, type ServerConfig } from '../../server';
import { metricValue } from './fixtures';

type Fallback = Parameters<typeof createParleyServer>[1];

export interface RestartableServer {
  /** The running instance (a new one after each up() or restart()). */
  readonly server: ParleyServer;
  port: number;
  url: string;
  dataDir: string;
  restart(): Promise<void>;
  /** Stop accepting anything (the server is down) until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Close it (if running) and delete its data. */
  stop(): Promise<void>;
  /** Value of a /metrics series (`labels` as rendered, e.g. 'result="stored"'); NaN when absent. */
  metric(name: string, labels?: string): Promise<number>;
}

export async function startRestartableServer(config: Partial<ServerConfig>, fallback: Fallback, dirPrefix: string): Promise<RestartableServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
  const make = () => createParleyServer({ ...config, dataDir }, fallback);
  let server = await make();
  let running = true;
  const { port } = await server.listen(0);
  const url = `http://127.0.0.1:${port}`;
  return {
    get server() {
      return server;
    },
    port,
    url,
    dataDir,
    async restart() {
      await server.close();
      server = await make();
      await server.listen(port);
    },
    async down() {
      running = false;
      await server.close();
    },
    async up() {
      server = await make();
      await server.listen(port);
      running = true;
    },
    async stop() {
      if (running) await server.close();
      running = false;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async metric(name, labels) {
      return metricValue(await (await fetch(`${url}/metrics`)).text(), name, labels) ?? NaN;
    },
  };
}
