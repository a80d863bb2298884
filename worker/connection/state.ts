/**
 * The connection's lifecycle as one discriminated union, observed by every tab. Exactly one of
 * these is true at a time; there are no booleans to contradict each other.
 *
 *   idle ──connect()──▶ connecting ──open──▶ authenticating ──auth_ok──▶ online
 *     ▲                    │                      │                        │
 *     │                 failure                failure          close / heartbeat timeout
 *     │                    ▼                      ▼                        ▼
 *   close()            backoff (attempt, nextTryAt) ◀───────────────────────┘
 *                          │ attempts exhausted ─▶ gave_up  (app calls reconnect())
 *   network lost (any state but terminal) ─▶ offline ──network back──▶ connecting (at once)
 *   kick ─▶ kicked (terminal)     auth_failed ─▶ auth_failed (terminal)
 *
 * Terminal states (kicked, auth_failed, gave_up, closed) never reconnect by themselves: the app
 * acts (a fresh token, an explicit reconnect()).
 */
import type { ConnectionState, ConnectionStatus } from '../protocol';

export type { ConnectionError, ConnectionState, ConnectionStatus } from '../protocol';

export const TERMINAL_STATUSES: readonly ConnectionStatus[] = ['kicked', 'auth_failed', 'gave_up', 'closed', 'signed_out', 'key_rejected'];

export function isTerminal(state: ConnectionState): boolean {
  return TERMINAL_STATUSES.includes(state.status);
}
