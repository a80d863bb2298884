/**
 * What a storefront ships, brotli-compressed as a CDN would serve it: the tab's entry, the engine's
 * worker, the wasm it loads in Chromium (JSPI), the UI kit and the image worker. The baselines are
 * published sizes of other SDKs (not measurable offline here), quoted in the notes.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Benchmark, Figure } from '../lib/types';

const DIST = path.resolve(import.meta.dirname, '../../dist/parley');

const brotliKB = (file: string): number =>
  zlib.brotliCompressSync(fs.readFileSync(path.join(DIST, file)), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length / 1024;

const bytes = (key: string, label: string, kb: number, target?: number): Figure => ({
  key,
  label,
  unit: 'kB',
  better: 'lower',
  role: 'parley',
  runs: [kb],
  ...(target === undefined ? {} : { target: { op: '<=' as const, value: target } }),
});

export const shippedBytes: Benchmark = {
  id: 'bytes',
  title: 'Shipped bytes (brotli)',
  async run() {
    const worker = brotliKB('parley-worker.js');
    const wasm = brotliKB('wa-sqlite-jspi.wasm');
    return {
      figures: [
        bytes('client', 'tab entry (parley-client.js)', brotliKB('parley-client.js'), 10),
        bytes('worker', 'engine worker (parley-worker.js)', worker),
        bytes('wasm', 'wa-sqlite JSPI wasm', wasm),
        bytes('worker+wasm', 'worker + wasm', worker + wasm, 400),
        bytes('ui', 'UI kit (parley-ui.js)', brotliKB('parley-ui.js')),
        bytes('image-worker', 'image worker (parley-image-worker.js)', brotliKB('parley-image-worker.js')),
      ],
      notes: [
        "Published sizes for comparison (not measured here): Sendbird Chat SDK's min.js is 909 kB before compression; OpenIM's web SDK loads a wasm of 5 MB or more.",
        'Browsers without JSPI (Firefox, Safari today) load the Asyncify wasm instead, about twice the size.',
      ],
    };
  },
};
