/**
 * What a tab imports of the engine: the type-only protocol module and a few small, platform-free
 * helpers; never the store, the connection, the sync layer or the host. A tab bundle that pulled
 * in the engine's internals would grow, and would break whenever they change shape.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ALLOWED = new Set([
  'worker/protocol',
  'worker/engine/Emitter',
  'worker/host/withTimeout',
  'worker/host/workerName',
  'worker/options',
  'worker/requests/policy',
  // How often a tab reports its view for notifications, and how long the engine trusts it.
  'worker/notify/tabView',
  // The snapshot's IndexedDB format, read by the tab before the engine runs (both sides must agree).
  'worker/snapshot/snapshotDb',
]);

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

describe('the tab side imports of the engine only its protocol', () => {
  it.each(['client', 'ui'])('%s/ reaches into worker/ only through the allowed modules', (dir) => {
    const reached: string[] = [];
    let allowed = 0;
    const files = sources(dir);
    for (const file of files) {
      for (const [, spec] of fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec!)).replace(/\.ts$/, '');
        if (!target.startsWith('worker/')) continue;
        if (ALLOWED.has(target)) allowed++;
        else reached.push(`${file} → ${target}`);
      }
    }
    // The scan saw the tree: its files, and their imports of the protocol.
    expect(files.length).toBeGreaterThan(5);
    expect(allowed).toBeGreaterThan(0);
    expect(reached).toEqual([]);
  });
});
