/**
 * Desk actions (take, transfer, back to the queue) an agent made, kept until the server applied
 * them: like sends, they survive a reload while offline and go out in order once online. Each has
 * the action id the server applies it once by.
 */
import type { SqlExecutor } from './SqlDriver';

export interface DeskAction {
  actionId: string;
  conversationId: string;
  agentId: string | null;
  note: string | null;
  createdAt: number;
}

/** Queued actions a device keeps at most (an agent offline for a day does not act thousands of times). */
export const MAX_DESK_ACTIONS = 500;

export async function queueDeskAction(tx: SqlExecutor, a: DeskAction): Promise<boolean> {
  const row = await tx.all<{ n: number }>('SELECT COUNT(*) AS n FROM desk_outbox');
  if ((row[0]?.n ?? 0) >= MAX_DESK_ACTIONS) return false;
  await tx.run('INSERT OR IGNORE INTO desk_outbox (action_id, conversation_id, agent_id, note, created_at) VALUES (?, ?, ?, ?, ?)', [
    a.actionId,
    a.conversationId,
    a.agentId,
    a.note,
    a.createdAt,
  ]);
  return true;
}

export async function deskActions(db: SqlExecutor): Promise<DeskAction[]> {
  return db.all<DeskAction>(
    'SELECT action_id AS actionId, conversation_id AS conversationId, agent_id AS agentId, note, created_at AS createdAt FROM desk_outbox ORDER BY created_at, rowid',
  );
}

export async function removeDeskAction(tx: SqlExecutor, actionId: string): Promise<void> {
  await tx.run('DELETE FROM desk_outbox WHERE action_id = ?', [actionId]);
}
