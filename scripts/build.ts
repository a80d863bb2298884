/**
 * Bundles what browsers load: the engine's worker and the image worker (ES modules, started as
 * module workers) and the tab client (ESM). The worker bundle's content hash goes into the client's
 * version, so a deploy that changes the worker also changes the SharedWorker's name. wa-sqlite's
 * .wasm files are copied beside the worker, which fetches the one it needs relative to its own URL.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { ALL_WA_SQLITE_WASM, WA_SQLITE_WASM } from '../worker/store/waSqliteAssets';
import { buildDemo } from './build-demo';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'parley');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

const common = { bundle: true, minify: true, sourcemap: true, target: 'es2022', logLevel: 'warning' } as const;

const waSqliteDist = path.join(root, 'node_modules/@journeyapps/wa-sqlite/dist');

/**
 * A worker bundle as a classic script (the test and benchmark workers), with the wa-sqlite .wasm
 * files it may load beside it.
 * wa-sqlite's Emscripten glue is ES modules that read import.meta.url, which an IIFE does not have:
 * the worker's own URL stands in for it (the driver also passes locateFile, so the .wasm is found
 * either way).
 */
export async function buildWorker(entry: string, outfile: string, extra: BuildOptions = {}): Promise<void> {
  await build({ ...common, entryPoints: [entry], outfile, format: 'iife', define: { 'import.meta.url': 'self.location.href' }, ...extra });
  copyWasmBeside(outfile);
}

/** wa-sqlite's .wasm files, every build's (plain and cipher), beside a worker bundle (it fetches the one it runs). */
function copyWasmBeside(outfile: string): void {
  for (const file of ALL_WA_SQLITE_WASM) fs.copyFileSync(path.join(waSqliteDist, file), path.join(path.dirname(outfile), file));
}

/**
 * The engine's worker as an ES module, the .wasm files beside it. It names its .wasm files in
 * literal `new URL('./…', import.meta.url)` expressions (for bundlers); checked here, so a renamed
 * file cannot go unnoticed until a browser fails to fetch it.
 */
export async function buildEngineWorker(outfile: string, extra: BuildOptions = {}, encrypted = false): Promise<void> {
  const entry = path.join(root, encrypted ? 'worker/entryEncrypted.ts' : 'worker/entry.ts');
  await build({ ...common, entryPoints: [entry], outfile, format: 'esm', ...extra });
  const bundle = fs.readFileSync(outfile, 'utf8');
  for (const file of encrypted ? ALL_WA_SQLITE_WASM : Object.values(WA_SQLITE_WASM)) {
    if (!bundle.includes(`"./${file}"`)) throw new Error(`${path.basename(outfile)} does not name ./${file} (WASM_BESIDE_WORKER in worker/store/waSqliteDriver.ts, cipherBuilds.ts)`);
  }
  if (!encrypted && bundle.includes('sqlite3mc_config')) throw new Error(`${path.basename(outfile)} carries the cipher build's glue: only the encrypted worker should`);
  copyWasmBeside(outfile);
}

/** The tab client, the engine's worker and the image worker into `dir`; returns the version. */
export async function buildClient(dir: string, extra: BuildOptions = {}): Promise<{ version: string }> {
  fs.mkdirSync(dir, { recursive: true });
  await buildEngineWorker(path.join(dir, 'parley-worker.js'), extra);
  await buildEngineWorker(path.join(dir, 'parley-worker-encrypted.js'), extra, true);
  const hash = createHash('sha256')
    .update(fs.readFileSync(path.join(dir, 'parley-worker.js')))
    .update(fs.readFileSync(path.join(dir, 'parley-worker-encrypted.js')))
    .digest('hex')
    .slice(0, 10);
  const version = `${pkg.version}-${hash}`;
  await build({ ...common, entryPoints: [path.join(root, 'client/media/imageWorker.ts')], outfile: path.join(dir, 'parley-image-worker.js'), format: 'esm', ...extra });
  await build({
    ...common,
    entryPoints: [path.join(root, 'client/index.ts')],
    outfile: path.join(dir, 'parley-client.js'),
    format: 'esm',
    define: { __PARLEY_VERSION__: JSON.stringify(version) },
    ...extra,
  });
  return { version };
}

export async function buildBundles(): Promise<{ version: string }> {
  const { version } = await buildClient(out);
  await buildUi();
  fs.writeFileSync(path.join(out, 'version.json'), JSON.stringify({ version }) + '\n');
  return { version };
}

/**
 * The UI kit (custom elements, with Lit inside). It receives a client instance and imports the
 * engine's types only: a runtime import from client/, worker/ or schema/ would duplicate engine
 * code, so the build fails on one. The exception is schema/safeUrl.ts, a dependency-free function
 * the kit must share with the server's validators (what is stored is what is rendered).
 */
const SHARED_WITH_THE_KIT = new Set(['schema/safeUrl.ts', 'schema/localKeys.ts']);

export async function buildUi(outfile = path.join(out, 'parley-ui.js')): Promise<void> {
  const { metafile } = await build({
    ...common,
    entryPoints: [path.join(root, 'ui/index.ts')],
    outfile,
    format: 'esm',
    metafile: true,
    absWorkingDir: root,
  });
  const engine = Object.keys(metafile.inputs).filter((f) => /^(client|worker|schema)\//.test(f) && !SHARED_WITH_THE_KIT.has(f));
  if (engine.length) throw new Error(`parley-ui.js must not bundle engine code: ${engine.join(', ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { version } = await buildBundles();
  console.log(`built dist/parley (version ${version})`);
  // Last: the demo's service worker lists every bundle above with a revision hash.
  const { precache } = await buildDemo();
  const kib = precache.reduce((n, p) => n + p.bytes, 0) / 1024;
  console.log(`built dist/demo (service worker precaches ${precache.length} files, ${kib.toFixed(0)} KiB)`);
}
