/**
 * The wa-sqlite WebAssembly files the worker fetches, by build. Kept apart from the driver so the
 * build script can copy them without importing the driver (and wa-sqlite) into Node.
 */
export type WaSqliteBuild = 'jspi' | 'asyncify';

/** File names in node_modules/@journeyapps/wa-sqlite/dist/, served beside the worker bundle. */
export const WA_SQLITE_WASM: Record<WaSqliteBuild, string> = {
  jspi: 'wa-sqlite-jspi.wasm',
  asyncify: 'wa-sqlite-async.wasm',
};


/** The SQLite3MultipleCiphers builds (encryption at rest), by build: fetched only for an encrypted database. */
export const WA_SQLITE_CIPHER_WASM: Record<WaSqliteBuild, string> = {
  jspi: 'mc-wa-sqlite-jspi.wasm',
  asyncify: 'mc-wa-sqlite-async.wasm',
};

/** Every .wasm file a worker may fetch, for the build scripts to copy beside it. */
export const ALL_WA_SQLITE_WASM: readonly string[] = [...Object.values(WA_SQLITE_WASM), ...Object.values(WA_SQLITE_CIPHER_WASM)];
