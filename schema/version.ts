/**
 * The wire protocol version a client announces in its auth frame. Bump it on any change an older
 * peer would misread; the server lists every version it still speaks in SUPPORTED_PROTOCOL_VERSIONS.
 */
export const PROTOCOL_VERSION = 4;
/**
 * 2: store epochs (`auth.epoch`, `auth_ok.epoch`/`resync`, `conversations.seqsAt`). A version 1 client is served as before, without the rollback check.
 * 3: no echo: a device is not pushed the events its own sends appended (it settles them from the answers). Version 1 and 2 clients are pushed everything, as before.
 * 4: start at the head (`auth_ok.rebuild`, `sync.head`): a device with nothing stored, or whose cursor
 *    is below what the server pruned, is not replayed the stream; it loads the head instead. Older
 *    clients without a cursor are replayed the stream as before, and refused once it was pruned
 *    past where their replay would start.
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1, 2, 3, 4];
/** The first version whose devices are not pushed their own sends back. */
export const NO_ECHO_PROTOCOL_VERSION = 3;
/** The first version whose devices start at the head instead of replaying the push stream. */
export const HEAD_START_PROTOCOL_VERSION = 4;
