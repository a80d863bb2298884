/**
 * The wire protocol version a client announces in its auth frame. Bump it on any change an older
 * peer would misread; the server lists every version it still speaks in SUPPORTED_PROTOCOL_VERSIONS.
 */
export const PROTOCOL_VERSION = 2;
/** 2: store epochs (`auth.epoch`, `auth_ok.epoch`/`resync`, `conversations.seqsAt`). A version 1 client is served as before, without the rollback check. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1, 2];
