/** The engine's WebSocket: one Connection, its state union, and the pure pieces it is built from. */
export { Connection, type ConnectionDeps, type ConnectionListener } from './Connection';
export { backoffDelay, type BackoffOptions } from './backoff';
export { Heartbeat, type HeartbeatOptions, type HeartbeatPeer } from './heartbeat';
export { TERMINAL_STATUSES, isTerminal, type ConnectionError, type ConnectionState, type ConnectionStatus } from './state';
