/**
 * The wire protocol version a client announces in its auth frame. Bump it on any change an older
 * peer would misread; the server lists every version it still speaks in SUPPORTED_PROTOCOL_VERSIONS.
 */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];
