/**
 * Bundles what browsers load: the worker (IIFE, so it runs as a classic SharedWorker or Worker)
 * and the tab client (ESM). The worker bundle's content hash goes into the client's version, so a
 * deploy that changes the worker also changes the SharedWorker's name.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'parley');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

export async function buildBundles(): Promise<{ version: string }> {
  fs.mkdirSync(out, { recursive: true });
  const common = { bundle: true, minify: true, sourcemap: true, target: 'es2022', logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: [path.join(root, 'worker/entry.ts')], outfile: path.join(out, 'parley-worker.js'), format: 'iife' });
  const hash = createHash('sha256').update(fs.readFileSync(path.join(out, 'parley-worker.js'))).digest('hex').slice(0, 10);
  const version = `${pkg.version}-${hash}`;
  await build({
    ...common,
    entryPoints: [path.join(root, 'client/index.ts')],
    outfile: path.join(out, 'parley-client.js'),
    format: 'esm',
    define: { __PARLEY_VERSION__: JSON.stringify(version) },
  });
  fs.writeFileSync(path.join(out, 'version.json'), JSON.stringify({ version }) + '\n');
  return { version };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { version } = await buildBundles();
  console.log(`built dist/parley (version ${version})`);
}
