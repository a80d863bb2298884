/**
 * Protocol 5: the shop's service desk. A shop's customer conversations are each assigned to one of
 * its agents, or wait in the shop's queue; agents transfer them with a note the customer never
 * sees; the shop keeps quick replies. Only the shop's agents see any of it.
 */
import * as v from 'valibot';
import { ClientId, EntityId, PresenceStateSchema } from './entities';

const Millis = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
export const MAX_NOTE_CHARS = 500;
export const MAX_QUICK_REPLIES = 200;
export const MAX_QUICK_REPLY_CHARS = 2000;

/** Who handles a conversation: an agent, or nobody yet (`agentId` null: in the queue). */
export const Assignment = v.object({
  conversationId: EntityId,
  agentId: v.nullable(EntityId),
  /** The note left with the last transfer, for agents only. */
  note: v.nullable(v.pipe(v.string(), v.maxLength(MAX_NOTE_CHARS))),
  /** The agent who assigned it last; null when the server did (round robin, or the queue). */
  by: v.nullable(EntityId),
  updatedAt: Millis,
});
export type Assignment = v.InferOutput<typeof Assignment>;

/** A saved answer an agent inserts by typing `/` and its shortcut. */
export const QuickReply = v.object({
  id: ClientId,
  shortcut: v.pipe(v.string(), v.regex(/^[\p{L}\p{N}_-]{1,32}$/u, 'a shortcut is 1-32 letters, digits, _ or -')),
  text: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_QUICK_REPLY_CHARS)),
});
export type QuickReply = v.InferOutput<typeof QuickReply>;

export const DeskAgent = v.object({ id: EntityId, displayName: v.string(), state: PresenceStateSchema });
export type DeskAgent = v.InferOutput<typeof DeskAgent>;

/** What changed at the desk: sent to the shop's agents' sockets (protocol 5), never stored as such. */
export const DeskChange = v.variant('kind', [
  v.object({ kind: v.literal('assignment'), assignment: Assignment }),
  v.object({ kind: v.literal('replies'), quickReplies: v.array(QuickReply) }),
  /** An agent of the shop came, went, or is away. */
  v.object({ kind: v.literal('agent'), agentId: EntityId, state: PresenceStateSchema }),
]);
export type DeskChange = v.InferOutput<typeof DeskChange>;
