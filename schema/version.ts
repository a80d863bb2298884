/**
 * The wire protocol version a client announces in its auth frame. Bump it on any change an older
 * peer would misread; the server lists every version it still speaks in SUPPORTED_PROTOCOL_VERSIONS.
 */
export const PROTOCOL_VERSION = 3;
/**
 * 2: store epochs (`auth.epoch`, `auth_ok.epoch`/`resync`, `conversations.seqsAt`). A version 1 client is served as before, without the rollback check.
 * 3: no echo: a device is not pushed the events its own sends appended (it settles them from the answers). Version 1 and 2 clients are pushed everything, as before.
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1, 2, 3];
/** The first version whose devices are not pushed their own sends back. */
export const NO_ECHO_PROTOCOL_VERSION = 3;
