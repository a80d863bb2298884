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

