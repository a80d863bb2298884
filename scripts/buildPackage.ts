/**
 * Builds what `npm pack` publishes, into dist/lib/ (package.json `files` and `exports` point here):
 * - client/: the tab client, with the engine's worker, the image worker and the .wasm files beside
 *   it (the client starts them with `new URL('./…', import.meta.url)`, so a shop's bundler emits
 *   them into its own build);
 * - ui/, react/, vue/: the UI kit and the framework bindings (React and Vue stay the shop's own:
 *   external, peer dependencies);
 * - server/, schema/: for Node, with their npm dependencies external (installed with the package);
 * - types/: declarations for all of them, emitted by tsc from the sources.
 * `npm pack` runs it (prepack).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { buildClient, buildUi } from './build';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'lib');
const common = { bundle: true, minify: true, sourcemap: true, logLevel: 'warning' } as const;

export async function buildPackage(): Promise<void> {
  fs.rmSync(out, { recursive: true, force: true });
  const { version } = await buildClient(path.join(out, 'client'));
  await buildUi(path.join(out, 'ui', 'parley-ui.js'));
  for (const [name, external] of [
    ['react', ['react']],
    ['vue', ['vue']],
  ] as const) {
    await build({ ...common, entryPoints: [path.join(root, 'bindings', `${name}.ts`)], outfile: path.join(out, name, 'index.js'), format: 'esm', target: 'es2022', external: [...external] });
  }
  // Node: readable stacks matter more than bytes, so not minified.
  for (const name of ['server', 'schema']) {
    await build({ ...common, minify: false, entryPoints: [path.join(root, name, 'index.ts')], outfile: path.join(out, name, 'index.js'), format: 'esm', platform: 'node', target: 'node20', packages: 'external' });
  }
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.package.json')], { stdio: 'inherit' });
  fs.writeFileSync(path.join(out, 'version.json'), JSON.stringify({ version }) + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await buildPackage();
  console.log(`built ${path.relative(root, out)}`);
}
