import { ErrorCode, ParleyError, type Presence, type RequestParams, type RequestResult, type RequestType } from '../../schema';
import type { Identity } from '../auth/tokens';
import type { ServerMetrics } from '../metrics';
import type { Store } from '../store/Store';
import type { Desk } from '../desk/Desk';

/** The server's parts a handler uses: nothing of the sessions, the secret or the handlers themselves. */
export interface HandlerDeps {
  store: Store;
  metrics: ServerMetrics;
  /** Resolves once every event committed so far has reached the hub. */
  published: () => Promise<void>;
  /** The shops' service desks. */
  desk: Desk;
  /** How long after its store a message may be recalled: by a shop's agent, by anyone else. */
  recallWindows: { agentMs: number; otherMs: number };
}

/** What presence requests may do for the socket that asks. */
export interface SessionPresence {
  /** Watch these subjects from this socket, replacing its last watch; their state now. */
  watch(subjects: Pick<Presence, 'kind' | 'id'>[]): Presence[];
  /** The caller is away, or back. */
  setStatus(status: 'online' | 'away'): void;
}

/** What a request handler knows: who asks, from which device, and the server's parts it may use. */
export interface RequestContext {
  identity: Identity;
  deviceId: string;
  /** The protocol version the client announced: what it may be sent. */
  version: number;
  deps: HandlerDeps;
  /** Count `n` messages against the session's message rate; false when over it. */
  takeMessages(n: number): boolean;
  /** The parties the session was found to speak for, by conversation: each is looked up once a session. */
  readonly parties: Map<string, string>;
  readonly presence: SessionPresence;
  /** Close this socket once the answer to this request is sent (a sign-out). */
  endAfterAnswer(): void;
}

export type Handler<T extends RequestType> = (ctx: RequestContext, params: RequestParams<T>) => Promise<RequestResult<T>>;
export type RequestHandlers = { [T in RequestType]: Handler<T> };

/**
 * The party the caller speaks for in a conversation, or FORBIDDEN. A conversation that does not
 * exist answers the same as one the caller is not in, so ids cannot be probed.
 */
export async function requireParty(ctx: RequestContext, conversationId: string): Promise<string> {
  const known = ctx.parties.get(conversationId);
  if (known) return known;
  const party = await ctx.deps.store.partyIn(ctx.identity, conversationId);
  if (!party) throw new ParleyError(ErrorCode.FORBIDDEN, 'not a member of this conversation');
  ctx.parties.set(conversationId, party);
  return party;
}
