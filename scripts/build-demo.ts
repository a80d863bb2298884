/**
 * Builds the storefront demo into dist/demo/: the two pages' scripts (ESM; the Parley client and
 * UI kit stay external, loaded from /parley/ at run time), the HTML, CSS and images, and the
 * service worker (dist/demo/sw.js, served at /sw.js) with its precache manifest injected.
 *
 * Run after the /parley/ bundles: the manifest carries a revision hash of each file it lists.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'demo');
const out = path.join(root, 'dist', 'demo');
const parleyDist = path.join(root, 'dist', 'parley');

const common = { bundle: true, minify: true, sourcemap: true, target: 'es2022', logLevel: 'warning' } as const;

/** URL → file of everything the app shell needs offline. The pages are precached under their routes. */
function shellFiles(): { url: string; file: string }[] {
  const files = [
    { url: '/', file: path.join(out, 'shop.html') },
    { url: '/merchant', file: path.join(out, 'merchant.html') },
  ];
  for (const name of fs.readdirSync(out).sort()) {
    if (/\.(js|css)$/.test(name) && name !== 'sw.js') files.push({ url: `/demo/${name}`, file: path.join(out, name) });
  }
  for (const name of fs.readdirSync(path.join(out, 'img')).sort()) files.push({ url: `/demo/img/${name}`, file: path.join(out, 'img', name) });
  // The Asyncify .wasm is left out on purpose (see demo/sw.ts); source maps too.
  for (const name of ['parley-client.js', 'parley-ui.js', 'parley-worker.js', 'parley-image-worker.js', 'wa-sqlite-jspi.wasm']) {
    const file = path.join(parleyDist, name);
    if (fs.existsSync(file)) files.push({ url: `/parley/${name}`, file });
    else console.warn(`build-demo: dist/parley/${name} is missing; it will not be available offline`);
  }
  return files;
}

const revision = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);

export async function buildDemo(): Promise<{ precache: { url: string; revision: string; bytes: number }[] }> {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'img'), { recursive: true });
  await build({
    ...common,
    entryPoints: { shop: path.join(src, 'shop.ts'), merchant: path.join(src, 'merchant.ts') },
    outdir: out,
    format: 'esm',
  });
  for (const name of ['shop.html', 'merchant.html', 'demo.css']) fs.copyFileSync(path.join(src, name), path.join(out, name));
  for (const name of fs.readdirSync(path.join(src, 'img'))) fs.copyFileSync(path.join(src, 'img', name), path.join(out, 'img', name));

  const precache = shellFiles().map(({ url, file }) => ({ url, revision: revision(file), bytes: fs.statSync(file).size }));
  const manifest = precache.map(({ url, revision }) => ({ url, revision }));
  const buildId = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 10);
  await build({
    ...common,
    entryPoints: [path.join(src, 'sw.ts')],
    outfile: path.join(out, 'sw.js'),
    format: 'iife',
    define: {
      'self.__WB_MANIFEST': JSON.stringify(manifest),
      __DEMO_BUILD_ID__: JSON.stringify(buildId),
      // Workbox's dev logging and assertions are dropped in production builds.
      'process.env.NODE_ENV': '"production"',
    },
  });
  return { precache };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { precache } = await buildDemo();
  const kb = precache.reduce((n, p) => n + p.bytes, 0) / 1024;
  console.log(`built dist/demo (${precache.length} files precached, ${kb.toFixed(0)} KiB)`);
}
