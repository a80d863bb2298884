/**
 * WAL checkpoints run on a thread of their own, not inside a commit: the writer's automatic
 * checkpoint is off, the thread copies the WAL back so it starts over, and if the thread dies the
 * writer checkpoints by itself again.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite/SqliteStore';


const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-checkpoint-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const customer = { userId: 'cust', role: 'customer' as const, shopId: null, displayName: 'Cust' };

async function withMessages(store: SqliteStore, n: number): Promise<void> {
  store.seed([{ id: 'shop', name: 'Shop' }], []);
  await store.upsertUser(customer);
  const { conversation } = (await store.openDirect(customer, 'shop'))!;
  // In commits of up to 300, as a loaded server makes them.
  for (let from = 0; from < n; from += 300) {
    await Promise.all(
      Array.from({ length: Math.min(300, n - from) }, (_, i) =>
        store.send({ sender: customer, conversationId: conversation.id, clientId: crypto.randomUUID(), content: { type: 'text', text: `m${from + i} ${'x'.repeat(900)}` } }),
      ),
    );
  }
}

const walBytes = () => fs.statSync(path.join(dir, 'parley.db-wal')).size;

describe('Checkpointer', () => {
  it('turns off the checkpoint inside commits; its thread copies the WAL back, and the WAL then starts over', async () => {
    // Thresholds out of reach: only the checkpoints the test asks for run.
    const store = new SqliteStore({ dataDir: dir, sync: 'full', now: Date.now, checkpointWrites: 1e9, checkpointMs: 60_000 });
    try {
      expect(await store.checkpointer.ready).toBe(true);
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await withMessages(store, 1200);
      const before = walBytes();
      const first = await store.checkpointer.now();
      expect(first.busy).toBe(false);
      expect(first.walFrames).toBeGreaterThan(1000); // past where SQLite would have checkpointed in a commit
      expect(first.checkpointed).toBe(first.walFrames);
      // Everything was copied: the next commit writes from the top of the WAL, which stays small.
      await withMessages(store, 5);
      const second = await store.checkpointer.now();
      expect(second.walFrames).toBeLessThan(first.walFrames / 10);
      expect(walBytes()).toBeLessThanOrEqual(before);
    } finally {
      await store.close();
    }
  });

  it('asks for a checkpoint every so many committed writes', async () => {
    const store = new SqliteStore({ dataDir: dir, sync: 'full', now: Date.now, checkpointWrites: 100, checkpointMs: 60_000 });
    try {
      await store.checkpointer.ready;
      const done = store.checkpointer.nextDone();
      await withMessages(store, 300);
      const result = await done;
      expect(result.checkpointed).toBeGreaterThan(0);
      expect(result.checkpointed).toBe(result.walFrames);
    } finally {
      await store.close();
    }
  });

  it('copies what a quiet server wrote on its slow timer', async () => {
    const store = new SqliteStore({ dataDir: dir, sync: 'full', now: Date.now, checkpointWrites: 1e9, checkpointMs: 50 });
    try {
      await store.checkpointer.ready;
      await withMessages(store, 3);
      const result = await store.checkpointer.nextDone();
      expect(result.checkpointed).toBeGreaterThan(0);
      expect(result.checkpointed).toBe(result.walFrames);
    } finally {
      await store.close();
    }
  });

  it('gives the checkpoint back to the writer when its thread dies', async () => {
    const logs: string[] = [];
    const store = new SqliteStore({ dataDir: dir, sync: 'full', now: Date.now, checkpointWrites: 1e9, checkpointMs: 60_000, log: (m) => logs.push(m) });
    try {
      await store.checkpointer.ready;
      const worker = (store.checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker;
      await worker.terminate();
      await new Promise((r) => setImmediate(r));
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      expect(logs.some((l) => l.includes('checkpoints by itself again'))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('stops with the server: a script that awaits close() runs to its end', async () => {
    // A stop that waited on the thread with nothing keeping the process alive ended such a script
    // early, with code 13 (a top-level await never settled).
    const script = `
      import { createParleyServer } from './server/index.ts';
      const server = await createParleyServer({ dataDir: ${JSON.stringify(dir)}, secret: 'x'.repeat(32), log: () => {} });
      await server.listen(0);
      await server.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out.trim().split('\n').at(-1)).toBe('closed');
    expect(code).toBe(0);
  });
});
