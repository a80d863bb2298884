/**
 * What encryption at rest costs (connect's `encryption`: SQLite3MultipleCiphers, ChaCha20-Poly1305,
 * the mc- build of wa-sqlite) beside the plain build, in the same run and the same SharedWorker:
 * a burst of sends committed (with the unsent tally an encrypted engine keeps outside the
 * database), a catch-up stored, a returning user's first page (open + latest 50 of a filled
 * database), and bytes (the database on disk, the wasm and the worker a storefront ships). The
 * plain build stays the default; the encrypted figures are read as ratios to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { repeat } from '../lib/stats';
import type { BenchEnv, Benchmark, Figure } from '../lib/types';
import { msFigure, rateFigure } from '../lib/figures';
import { freshNames, variant, withStorePage } from './storePage';

const DIST = path.resolve(import.meta.dirname, '../../dist/parley');
/** A 256-bit key as 64 hex digits, as a shop's backend would hand it out: used as is, no key derivation. */
const KEY = '5a'.repeat(32);
const TEXT_BYTES = 200;
const CONTENT_BYTES = 500;

const brotliKB = (file: string): number =>
  zlib.brotliCompressSync(fs.readFileSync(path.join(DIST, file)), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length / 1024;

const kB = (key: string, label: string, role: Figure['role'], value: number, vs?: string): Figure => ({
  key,
  label,
  unit: 'kB',
  better: 'lower',
  role,
  runs: [value],
  ...(vs ? { vs } : {}),
});

export const encryption: Benchmark = {
  id: 'encryption',
  title: 'Encryption at rest: the cipher build beside the plain one',
  async run(env: BenchEnv) {
    const sends = env.size(500, 20);
    const received = env.size(10_000, 400);
    const history = env.size(5_000, 300);
    return withStorePage(env, async (call) => {
      const name = freshNames('cipher');
      const key = (encrypted: boolean) => (encrypted ? { key: KEY } : {});
      const label = (encrypted: boolean) => (encrypted ? 'encrypted' : 'plain');
      const commit = (encrypted: boolean) =>
        variant(env, `${label(encrypted)}: burst of ${sends} sends`, () =>
          repeat(env, async () => {
            await call('clearAll', undefined as never);
            const r = await call('localCommit', { name: name(), vfs: 'idb-batch-atomic', build: 'jspi', n: sends, mode: 'burst', textBytes: TEXT_BYTES, ...key(encrypted) });
            if (r.stored !== sends) throw new Error(`${label(encrypted)}: ${r.stored} of ${sends} sends stored`);
            return r.wallMs / sends;
          }),
        );
      let dbBytes = { plain: 0, encrypted: 0 };
      const ingest = (encrypted: boolean) =>
        variant(env, `${label(encrypted)}: catch-up of ${received}`, () =>
          repeat(env, async () => {
            await call('clearAll', undefined as never);
            const r = await call('ingest', { name: name(), n: received, page: 200, contentBytes: CONTENT_BYTES, mode: 'catch-up', ...key(encrypted) });
            if (r.stored !== received || r.indexed !== received) throw new Error(`${label(encrypted)}: stored ${r.stored}, indexed ${r.indexed} of ${received}`);
            dbBytes = { ...dbBytes, [label(encrypted)]: r.bytes };
            return (received / r.wallMs) * 1000;
          }),
        );
      const cold = (encrypted: boolean) =>
        variant(env, `${label(encrypted)}: first page of ${history}`, () =>
          repeat(env, async () => {
            await call('clearAll', undefined as never);
            const r = await call('coldOpen', { name: name(), n: history, ...key(encrypted) });
            if (r.rows !== 50) throw new Error(`${label(encrypted)}: the first page has ${r.rows} rows`);
            return r.firstPageMs;
          }),
        );
      // Interleaved, so a drift of the machine's speed during the run falls on both alike.
      const commitPlain = await commit(false);
      const commitEncrypted = await commit(true);
      const ingestPlain = await ingest(false);
      const ingestEncrypted = await ingest(true);
      const coldPlain = await cold(false);
      const coldEncrypted = await cold(true);
      await call('clearAll', undefined as never);

      return {
        figures: [
          msFigure('commit', `encrypted: burst of ${sends} sends, ms per send`, 'parley', commitEncrypted, { vs: 'commit-plain' }),
          msFigure('commit-plain', `plain: burst of ${sends} sends, ms per send`, 'baseline', commitPlain),
          rateFigure('ingest', `encrypted: catch-up of ${received} received messages`, 'parley', ingestEncrypted, { vs: 'ingest-plain' }),
          rateFigure('ingest-plain', `plain: catch-up of ${received} received messages`, 'baseline', ingestPlain),
          msFigure('cold-open', `encrypted: open + latest 50 of ${history} stored messages`, 'parley', coldEncrypted, { vs: 'cold-open-plain' }),
          msFigure('cold-open-plain', `plain: open + latest 50 of ${history} stored messages`, 'baseline', coldPlain),
          kB('db', `encrypted: database of ${received} messages on disk`, 'parley', dbBytes.encrypted / 1024, 'db-plain'),
          kB('db-plain', `plain: database of ${received} messages on disk`, 'baseline', dbBytes.plain / 1024),
          kB('wasm', 'encrypted: wasm (mc- JSPI build), brotli', 'parley', brotliKB('mc-wa-sqlite-jspi.wasm'), 'wasm-plain'),
          kB('wasm-plain', 'plain: wasm (JSPI build), brotli', 'baseline', brotliKB('wa-sqlite-jspi.wasm')),
          kB('worker', 'encrypted: engine worker (parley-worker-encrypted.js), brotli', 'parley', brotliKB('parley-worker-encrypted.js'), 'worker-plain'),
          kB('worker-plain', 'plain: engine worker (parley-worker.js), brotli', 'baseline', brotliKB('parley-worker.js')),
        ],
        notes: [
          'Timed inside a SharedWorker in headless Chromium, the plain and the encrypted variant of each measurement one after the other ' +
            'in the same page, each run on a new database. The key is a raw 256-bit key (no key derivation at open); a passphrase adds ' +
            'PBKDF2 (~60 ms) to every open of every connection.',
          'Encrypted, the engine keeps no cold-open snapshot (it would hold text in the clear): the first paint waits for the database, ' +
            "as the 'cold-open' figure shows; a plain engine paints from its snapshot before that (see paint).",
          `The encrypted sends include the unsent tally kept outside the database (one IndexedDB put when the outbox goes from empty to not, one recount after changes).`,
        ],
      };
    });
  },
};
