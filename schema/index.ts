/**
 * Parley's contract: imported by the server, the worker, the client and the UI kit alike.
 *
 * @module parley/schema
 */
export * from './version';
export * from './errors';
export * from './content';
export * from './safeUrl';
export * from './entities';
export * from './desk';
export * from './requests';
export * from './frames';
export * from './codec';
