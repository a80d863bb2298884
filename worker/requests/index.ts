/** Request/response correlation over the shared connection: timeouts, a cap, and what a drop does. */
export { RequestTracker, type RequestOptions, type RequestTrackerOptions } from './RequestTracker';
export { DISCONNECT_POLICY, DisconnectPolicy, onDisconnect } from './policy';
