/**
 * What happens to a request that was already sent when the connection drops before its response.
 * The server may or may not have carried it out, and we cannot tell which: the `res` may have been
 * lost on the way back. So a request may go out again only if doing it twice is the same as doing
 * it once.
 */
import type { RequestParams, RequestType } from '../../schema';

export const DisconnectPolicy = {
  /** Send it again, with the same request id, after the next reconnect. */
  REQUEUE: 'requeue',
  /** Fail it with OUTCOME_UNKNOWN: the caller decides whether a second attempt is safe. */
  REJECT: 'reject',
} as const;
export type DisconnectPolicy = (typeof DisconnectPolicy)[keyof typeof DisconnectPolicy];

/** A fixed policy, or one decided by the params when the type has both kinds of variant. */
type Rule<T extends RequestType> = DisconnectPolicy | ((params: RequestParams<T>) => DisconnectPolicy);

/**
 * One rule per request type. `satisfies` makes a missing (or unknown) type a compile error, so a
 * new request type cannot ship without someone deciding this.
 */
export const DISCONNECT_POLICY = {
  // Reads have no side effects: asking twice costs a round trip, nothing else.
  'conversations.list': 'requeue',
  'conversations.members': 'requeue',
  'messages.history': 'requeue',
  'messages.range': 'requeue',
  'conversations.seqsAt': 'requeue',
  'sync.head': 'requeue',
  sync: 'requeue',
  // Idempotent on (sender, clientId): a retry returns the first attempt's message, duplicate: true.
  'messages.send': 'requeue',
  'messages.sendBatch': 'requeue',
  // A repeat of a recall answers the recalled message.
  'messages.recall': 'requeue',
  // Cumulative and never moves backwards: repeating upToSeq leaves the position where it was.
  'receipts.delivered': 'requeue',
  'conversations.markRead': 'requeue',
  // direct is idempotent per (customer, shop) and returns the existing one; a repeated group create
  // makes a second group, so that variant must not go out twice.
  // A watch belongs to a socket and a status to the user while connected: on a new socket, saying
  // either again is what is wanted.
  'presence.watch': 'requeue',
  'desk.state': 'requeue',
  // Ending a session that already ended ends nothing more.
  'session.signOut': 'requeue',
  // Exactly once per actionId on the server; a save replaces by id, a delete of what is gone is a no-op.
  'desk.assign': 'requeue',
  'desk.replies.save': 'requeue',
  'desk.replies.delete': 'requeue',
  'presence.set': 'requeue',
  'conversations.create': (params) => (params.kind === 'direct' ? 'requeue' : 'reject'),
} as const satisfies { [T in RequestType]: Rule<T> };

/** The policy for one request, given its type and params. */
export function onDisconnect<T extends RequestType>(type: T, params: RequestParams<T>): DisconnectPolicy {
  const rule: Rule<T> = DISCONNECT_POLICY[type] as Rule<T>;
  return typeof rule === 'function' ? rule(params) : rule;
}
