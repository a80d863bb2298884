/** The desk's rows and rules both stores share (SQLite and PostgreSQL name the columns alike). */
import { ErrorCode, MAX_QUICK_REPLIES, ParleyError, type Assignment } from '../../schema';

export interface AssignmentRow {
  conversation_id: string;
  agent_id: string | null;
  note: string | null;
  by_id: string | null;
  updated_at: number;
}

export const toAssignment = (r: AssignmentRow): Assignment => ({
  conversationId: r.conversation_id,
  agentId: r.agent_id,
  note: r.note,
  by: r.by_id,
  updatedAt: Number(r.updated_at),
});

/** Desk actions are remembered this long for exactly-once (a device queues them offline for at most this). */
export const ACTIONS_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

export const tooManyReplies = (): ParleyError => new ParleyError(ErrorCode.INVALID_PARAMS, `a shop keeps at most ${MAX_QUICK_REPLIES} quick replies`);

/** The next agent after `last` in id order, wrapping; the first when `last` is unknown. */
export function nextInRotation(online: readonly string[], last: string | null): string | null {
  const sorted = [...new Set(online)].sort();
  if (sorted.length === 0) return null;
  return sorted.find((id) => last === null || id > last) ?? sorted[0]!;
}
