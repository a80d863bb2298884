/**
 * The wire protocol version a client announces in its auth frame. Bump it on any change an older
 * peer would misread; the server lists every version it still speaks in SUPPORTED_PROTOCOL_VERSIONS.
 *
 * How it moves with the package's (semver) version, one rule: a release that bumps it is at least a
 * minor release (a patch never changes the wire), and a server speaks at least its own protocol and
 * the one before it, so a client one minor release behind its server keeps working (servers are
 * upgraded first, storefronts after). A version leaves SUPPORTED_PROTOCOL_VERSIONS only in a major
 * release (in 0.x, a minor release whose notes say so). test/server/previousProtocol.test.ts runs a
 * whole session in the previous protocol's frames.
 */
export const PROTOCOL_VERSION = 5;
/**
 * 2: store epochs (`auth.epoch`, `auth_ok.epoch`/`resync`, `conversations.seqsAt`). A version 1 client is served as before, without the rollback check.
 * 3: no echo: a device is not pushed the events its own sends appended (it settles them from the answers). Version 1 and 2 clients are pushed everything, as before.
 * 4: start at the head (`auth_ok.rebuild`, `sync.head`): a device with nothing stored, or whose cursor
 *    is below what the server pruned, is not replayed the stream; it loads the head instead. Older
 *    clients without a cursor are replayed the stream as before, and refused once it was pruned
 *    past where their replay would start.
 * 5: ephemeral signals: typing (`typing` both ways) and presence (`presence.watch`, `presence.set`,
 *    the `presence` frame). Older clients are sent neither frame.
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1, 2, 3, 4, 5];
/** The first version whose devices are not pushed their own sends back. */
export const NO_ECHO_PROTOCOL_VERSION = 3;
/** The first version whose devices start at the head instead of replaying the push stream. */
export const HEAD_START_PROTOCOL_VERSION = 4;
/** The first version whose devices are sent typing and presence frames. */
export const SIGNALS_PROTOCOL_VERSION = 5;
/** A typing sender repeats `active: true` this often while typing goes on. */
export const TYPING_RESEND_MS = 3_000;
/** A receiver forgets an `active` typing notice this long after it came (two resends may be lost). */
export const TYPING_TTL_MS = 7_000;

/** Whether a client of this protocol version knows a push event of this kind (`recall`: from 5). */
export function eventKnownTo(version: number, kind: string): boolean {
  return kind !== 'recall' || version >= SIGNALS_PROTOCOL_VERSION;
}
