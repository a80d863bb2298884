/**
 * `npm run test:package`: tests the package as it is published, not the repository.
 * 1. `npm pack` (which builds dist/lib) and a check of what the tarball holds;
 * 2. a scratch project installs the tarball, type-checks a file that imports every entry (strict,
 *    without skipLibCheck, so the shipped declarations are checked too) and starts the server from it;
 * 3. each example (examples/vite-react, examples/vite-vue) is copied out, installs the tarball and
 *    its own dependencies, and is built with Vite;
 * 4. Playwright opens the built examples in Chromium (playwright.examples.config.ts).
 * Installs use --ignore-scripts and get better-sqlite3's native binding copied from this
 * repository's install: the same pinned version for the same Node, and this machine can neither
 * download prebuilt bindings nor afford a compile per project.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-package-'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const log = (m: string) => console.log(`test:package: ${m}`);
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);

// 1. The tarball.
log(`building and packing into ${work}`);
// Built first, then packed without the prepack script, whose output would mix into the JSON.
npm(['run', 'build:package'], root);
const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as { filename: string; files: { path: string }[] }[];
const tarball = path.join(work, packed[0]!.filename);
const files = packed[0]!.files.map((f) => f.path);
const required = [
  'dist/lib/client/parley-client.js',
  'dist/lib/client/parley-worker.js',
  'dist/lib/client/parley-worker-encrypted.js',
  'dist/lib/client/parley-image-worker.js',
  'dist/lib/client/wa-sqlite-jspi.wasm',
  'dist/lib/client/wa-sqlite-async.wasm',
  'dist/lib/client/mc-wa-sqlite-jspi.wasm',
  'dist/lib/client/mc-wa-sqlite-async.wasm',
  'dist/lib/ui/parley-ui.js',
  'dist/lib/react/index.js',
  'dist/lib/vue/index.js',
  'dist/lib/server/index.js',
  'dist/lib/schema/index.js',
  'dist/lib/types/client/index.d.ts',
  'dist/lib/types/server/index.d.ts',
  'LICENSE',
  'README.md',
  'package.json',
];
const missing = required.filter((f) => !files.includes(f));
const unwanted = files.filter((f) => /^(test|bench|demo|scripts|examples|\.ci)\//.test(f) || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
if (missing.length || unwanted.length) throw new Error(`the tarball lacks ${missing.join(', ') || 'nothing'} and holds ${unwanted.slice(0, 10).join(', ') || 'nothing unwanted'}`);
log(`${packed[0]!.filename}: ${files.length} files`);

const binding = path.join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
function install(dir: string, extra: string[]): void {
  npm(['install', '--ignore-scripts', tarball, ...extra], dir);
  const target = path.join(dir, 'node_modules/better-sqlite3/build/Release');
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(binding, path.join(target, 'better_sqlite3.node'));
}

// 2. A consumer: types and a start of the server, from the installed package only.
const consumer = path.join(work, 'consumer');
fs.cpSync(path.join(root, 'test/package/consumer'), consumer, { recursive: true });
const dev = pkg.devDependencies;
install(consumer, [`typescript@${dev.typescript}`, `@types/node@${dev['@types/node']}`, `react@${dev.react}`, `@types/react@${dev['@types/react']}`, `vue@${dev.vue}`]);
log('type-checking a consumer of every entry');
run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], consumer);
log('starting the server from the package');
run(process.execPath, ['smoke.mjs'], consumer);

// 3. The examples, each with its own install, built by Vite.
const built: Record<string, string> = {};
for (const name of ['vite-react', 'vite-vue']) {
  const dir = path.join(work, name);
  fs.cpSync(path.join(root, 'examples', name), dir, { recursive: true, filter: (src) => !/node_modules|dist|chat-data/.test(path.relative(path.join(root, 'examples', name), src)) });
  log(`${name}: npm install, vite build`);
  install(dir, []);
  npm(['install', '--ignore-scripts'], dir);
  npm(['run', 'build'], dir);
  built[name] = dir;
}

// 4. In the browser.
const result = spawnSync('npx', ['playwright', 'test', '-c', 'playwright.examples.config.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PARLEY_EXAMPLES: JSON.stringify(built) },
});
if (result.status === 0) fs.rmSync(work, { recursive: true, force: true });
else log(`kept ${work} for a look`);
process.exit(result.status ?? 1);
