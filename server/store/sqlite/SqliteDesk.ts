/** The service desk on the server's SQLite database (tables `desk_*` and `quick_replies`, migration 8). */
import { MAX_QUICK_REPLIES, type Assignment, type QuickReply } from '../../../schema';
import { ACTIONS_KEPT_MS, nextInRotation, toAssignment, tooManyReplies, type AssignmentRow } from '../deskRows';
import type { AssignInput, DeskStore } from '../Store';
import type { Write } from './ports';
import type { Sql } from './statements';

export class SqliteDesk implements DeskStore {
  constructor(
    private readonly sql: Sql,
    private readonly write: Write,
    private readonly now: () => number,
  ) {}

  async state(shopId: string, limit: number) {
    const agents = this.sql("SELECT id, display_name AS displayName FROM users WHERE shop_id = ? AND role = 'merchant' ORDER BY id LIMIT 500").all(shopId) as {
      id: string;
      displayName: string;
    }[];
    const rows = this.sql('SELECT * FROM desk_assignments WHERE shop_id = ? ORDER BY updated_at DESC LIMIT ?').all(shopId, limit) as AssignmentRow[];
    return { agents, assignments: rows.map(toAssignment), quickReplies: this.replies(shopId) };
  }

  async assignment(conversationId: string): Promise<Assignment | null> {
    const row = this.sql('SELECT * FROM desk_assignments WHERE conversation_id = ?').get(conversationId) as AssignmentRow | undefined;
    return row ? toAssignment(row) : null;
  }

  assign(input: AssignInput) {
    return this.write(() => {
      const now = this.now();
      const seen = this.sql('INSERT OR IGNORE INTO desk_actions (action_id, created_at) VALUES (?, ?)').run(input.actionId, now).changes === 0;
      if (!seen) {
        this.sql('DELETE FROM desk_actions WHERE created_at < ?').run(now - ACTIONS_KEPT_MS);
        this.sql(
          `INSERT INTO desk_assignments (conversation_id, shop_id, agent_id, note, by_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (conversation_id) DO UPDATE SET agent_id = excluded.agent_id, note = excluded.note, by_id = excluded.by_id, updated_at = excluded.updated_at`,
        ).run(input.conversationId, input.shopId, input.agentId, input.note, input.by, now);
      }
      const row = this.sql('SELECT * FROM desk_assignments WHERE conversation_id = ?').get(input.conversationId) as AssignmentRow | undefined;
      // A repeat of an action whose assignment row is gone cannot happen (rows are never deleted).
      return { assignment: toAssignment(row!), duplicate: seen };
    });
  }

  autoAssign(shopId: string, conversationId: string, online: readonly string[]) {
    return this.write((): Assignment | null => {
      if (this.sql('SELECT 1 FROM desk_assignments WHERE conversation_id = ?').get(conversationId)) return null;
      const last = (this.sql('SELECT last_agent FROM desk_rotation WHERE shop_id = ?').pluck().get(shopId) as string | undefined) ?? null;
      const agent = nextInRotation(online, last);
      const now = this.now();
      this.sql('INSERT INTO desk_assignments (conversation_id, shop_id, agent_id, note, by_id, updated_at) VALUES (?, ?, ?, NULL, NULL, ?)').run(
        conversationId,
        shopId,
        agent,
        now,
      );
      if (agent) this.sql('INSERT INTO desk_rotation (shop_id, last_agent) VALUES (?, ?) ON CONFLICT (shop_id) DO UPDATE SET last_agent = excluded.last_agent').run(shopId, agent);
      return { conversationId, agentId: agent, note: null, by: null, updatedAt: now };
    });
  }

  saveReply(shopId: string, reply: QuickReply) {
    return this.write(() => {
      const count = this.sql('SELECT COUNT(*) FROM quick_replies WHERE shop_id = ? AND id <> ?').pluck().get(shopId, reply.id) as number;
      if (count >= MAX_QUICK_REPLIES) throw tooManyReplies();
      this.sql(
        `INSERT INTO quick_replies (shop_id, id, shortcut, text, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (shop_id, id) DO UPDATE SET shortcut = excluded.shortcut, text = excluded.text, updated_at = excluded.updated_at`,
      ).run(shopId, reply.id, reply.shortcut, reply.text, this.now());
      return this.replies(shopId);
    });
  }

  deleteReply(shopId: string, id: string) {
    return this.write(() => {
      this.sql('DELETE FROM quick_replies WHERE shop_id = ? AND id = ?').run(shopId, id);
      return this.replies(shopId);
    });
  }

  private replies(shopId: string): QuickReply[] {
    return this.sql('SELECT id, shortcut, text FROM quick_replies WHERE shop_id = ? ORDER BY shortcut, id').all(shopId) as QuickReply[];
  }
}
