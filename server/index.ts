/**
 * The reference server, for embedding and for tests. `main.ts` is the command-line entry.
 *
 * @module parley/server
 */
export { createParley, createParleyServer, isOriginAllowed, type FallbackHandler, type Middleware, type Parley, type ParleyServer, type ServerParts } from './app';
export type { MediaStorage, MediaMeta, MediaObject } from './media/MediaStorage';
export { ConfigError, configFromEnv, defaultConfig, productionSign, type ServerConfig, type SessionPolicy } from './config';
export { signToken, type Identity, type TokenClaims, type Verified } from './auth/tokens';
export { CLOCK_SKEW_S, TokenVerifier, type TokenSettings, type VerifierOptions } from './auth/TokenVerifier';
export { DEMO_SHOP, DEMO_USERS } from './seed';
export type { Store } from './store/Store';
