/**
 * The encrypted engine's worker bundle (parley-worker-encrypted.js): the plain one with the cipher
 * builds of SQLite added, started by connect() when `encryption` is given.
 */
import { CIPHER_BUILDS } from './store/cipherBuilds';
import { registerCipherBuilds } from './store/waSqliteDriver';

// Before the engine's entry runs: a static import would be evaluated first.
registerCipherBuilds(CIPHER_BUILDS);
await import('./entry');
