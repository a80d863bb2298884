/** The service desk on PostgreSQL (migration 4): the same rules as the SQLite store, safe for several nodes. */
import { MAX_QUICK_REPLIES, type Assignment, type QuickReply } from '../../../schema';
import { ACTIONS_KEPT_MS, nextInRotation, toAssignment, tooManyReplies, type AssignmentRow } from '../deskRows';
import type { AssignInput, DeskStore } from '../Store';
import type { Query } from './PgConversations';
import type { PgWrite, Tx } from './PgGroupCommit';

export class PgDesk implements DeskStore {
  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
    private readonly now: () => number,
  ) {}

  async state(shopId: string, limit: number) {
    const [agents, rows, quickReplies] = await Promise.all([
      this.query<{ id: string; displayName: string }>(`SELECT id, display_name AS "displayName" FROM users WHERE shop_id = $1 AND role = 'merchant' ORDER BY id LIMIT 500`, [shopId]),
      this.query<AssignmentRow>('SELECT * FROM desk_assignments WHERE shop_id = $1 ORDER BY updated_at DESC LIMIT $2', [shopId, limit]),
      this.replies(this.query, shopId),
    ]);
    return { agents, assignments: rows.map(toAssignment), quickReplies };
  }

  async assignment(conversationId: string): Promise<Assignment | null> {
    const [row] = await this.query<AssignmentRow>('SELECT * FROM desk_assignments WHERE conversation_id = $1', [conversationId]);
    return row ? toAssignment(row) : null;
  }

  assign(input: AssignInput) {
    // Locked by conversation: two agents' actions on one conversation apply one after the other.
    return this.write([input.conversationId], async (tx) => {
      const now = this.now();
      const fresh = await tx.query('INSERT INTO desk_actions (action_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1', [input.actionId, now]);
      if (fresh.length > 0) {
        await tx.query('DELETE FROM desk_actions WHERE created_at < $1', [now - ACTIONS_KEPT_MS]);
        await tx.query(
          `INSERT INTO desk_assignments (conversation_id, shop_id, agent_id, note, by_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (conversation_id) DO UPDATE SET agent_id = excluded.agent_id, note = excluded.note, by_id = excluded.by_id, updated_at = excluded.updated_at`,
          [input.conversationId, input.shopId, input.agentId, input.note, input.by, now],
        );
      }
      const [row] = await tx.query<AssignmentRow>('SELECT * FROM desk_assignments WHERE conversation_id = $1', [input.conversationId]);
      return { assignment: toAssignment(row!), duplicate: fresh.length === 0 };
    });
  }

  autoAssign(shopId: string, conversationId: string, online: readonly string[]) {
    return this.write([conversationId], async (tx): Promise<Assignment | null> => {
      const [held] = await tx.query('SELECT 1 FROM desk_assignments WHERE conversation_id = $1', [conversationId]);
      if (held) return null;
      // The shop's rotation row is locked for the pick: two nodes assigning at once take turns.
      const [rotation] = await tx.query<{ last_agent: string }>('SELECT last_agent FROM desk_rotation WHERE shop_id = $1 FOR UPDATE', [shopId]);
      const agent = nextInRotation(online, rotation?.last_agent ?? null);
      const now = this.now();
      await tx.query('INSERT INTO desk_assignments (conversation_id, shop_id, agent_id, note, by_id, updated_at) VALUES ($1, $2, $3, NULL, NULL, $4)', [
        conversationId,
        shopId,
        agent,
        now,
      ]);
      if (agent) {
        await tx.query('INSERT INTO desk_rotation (shop_id, last_agent) VALUES ($1, $2) ON CONFLICT (shop_id) DO UPDATE SET last_agent = excluded.last_agent', [shopId, agent]);
      }
      return { conversationId, agentId: agent, note: null, by: null, updatedAt: now };
    });
  }

  saveReply(shopId: string, reply: QuickReply) {
    return this.write([], async (tx) => {
      const [count] = await tx.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM quick_replies WHERE shop_id = $1 AND id <> $2', [shopId, reply.id]);
      if (count!.n >= MAX_QUICK_REPLIES) throw tooManyReplies();
      await tx.query(
        `INSERT INTO quick_replies (shop_id, id, shortcut, text, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (shop_id, id) DO UPDATE SET shortcut = excluded.shortcut, text = excluded.text, updated_at = excluded.updated_at`,
        [shopId, reply.id, reply.shortcut, reply.text, this.now()],
      );
      return this.replies((text, params) => tx.query(text, params), shopId);
    });
  }

  deleteReply(shopId: string, id: string) {
    return this.write([], async (tx) => {
      await tx.query('DELETE FROM quick_replies WHERE shop_id = $1 AND id = $2', [shopId, id]);
      return this.replies((text, params) => tx.query(text, params), shopId);
    });
  }

  private replies(query: Tx['query'] | Query, shopId: string): Promise<QuickReply[]> {
    return query<QuickReply>('SELECT id, shortcut, text FROM quick_replies WHERE shop_id = $1 ORDER BY shortcut, id', [shopId]);
  }
}
