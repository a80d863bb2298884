/**
 * The SQLite3MultipleCiphers builds, for the worker bundles that register them (the encrypted
 * engine's, worker/entryEncrypted.ts, and the benchmarks'). Their .wasm files are named in literal
 * `new URL('./…', import.meta.url)` expressions, as the plain ones are, for bundlers.
 */
import CipherAsyncifyFactory from '@journeyapps/wa-sqlite/dist/mc-wa-sqlite-async.mjs';
import CipherJspiFactory from '@journeyapps/wa-sqlite/dist/mc-wa-sqlite-jspi.mjs';
import type { CipherBuilds } from './waSqliteDriver';

export const CIPHER_BUILDS: CipherBuilds = {
  factories: { jspi: CipherJspiFactory, asyncify: CipherAsyncifyFactory },
  wasmBesideWorker: {
    jspi: () => new URL('./mc-wa-sqlite-jspi.wasm', import.meta.url).href,
    asyncify: () => new URL('./mc-wa-sqlite-async.wasm', import.meta.url).href,
  },
};
