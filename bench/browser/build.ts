/**
 * Bundles the benchmarks' browser side into dist/bench/ (served at /bench/ by the bench server):
 * pages and workers that time things where they happen, so a port's or Playwright's overhead is
 * only in the figures that are about it. By name: `*.worker.ts` → a classic worker script
 * (`<name>.worker.js`), `*.page.ts` → an ES module for a page (`<name>.page.js`); `*.html` is copied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');
const src = import.meta.dirname;
export const BENCH_OUT = path.join(root, 'dist', 'bench');

export async function buildBenchPages(): Promise<void> {
  fs.mkdirSync(BENCH_OUT, { recursive: true });
  const files = fs.readdirSync(src);
  const common = { bundle: true, minify: true, sourcemap: true, target: 'es2022', logLevel: 'warning' } as const;
  await Promise.all(
    files
      .filter((f) => /\.(worker|page)\.ts$/.test(f))
      .map((f) =>
        build({
          ...common,
          entryPoints: [path.join(src, f)],
          outfile: path.join(BENCH_OUT, f.replace(/\.ts$/, '.js')),
          format: f.endsWith('.worker.ts') ? 'iife' : 'esm',
          // wa-sqlite's glue reads import.meta.url, which a classic worker has not: its own URL stands in.
          ...(f.endsWith('.worker.ts') ? { define: { 'import.meta.url': 'self.location.href' } } : {}),
        }),
      ),
  );
  for (const f of files.filter((f) => f.endsWith('.html'))) fs.copyFileSync(path.join(src, f), path.join(BENCH_OUT, f));
}
