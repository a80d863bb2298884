/**
 * Types for the parts of @journeyapps/wa-sqlite 2.0.6 that its own index.d.ts does not declare
 * (the JSPI build and IDBMirrorVFS) or declares for an older API (IDBBatchAtomicVFS.create).
 */
declare module '@journeyapps/wa-sqlite/dist/wa-sqlite-jspi.mjs' {
  export default function ModuleFactory(config?: object): Promise<any>;
}

declare module '@journeyapps/wa-sqlite/dist/mc-wa-sqlite-jspi.mjs' {
  export default function ModuleFactory(config?: object): Promise<any>;
}

declare module '@journeyapps/wa-sqlite/dist/mc-wa-sqlite-async.mjs' {
  export default function ModuleFactory(config?: object): Promise<any>;
}

declare module '@journeyapps/wa-sqlite/src/examples/IDBMirrorVFS.js' {
  export class IDBMirrorVFS {
    static create(name: string, module: unknown, options?: object): Promise<SQLiteVFS>;
  }
}
