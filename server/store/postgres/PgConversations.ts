/**
 * Conversations and their members on PostgreSQL: opening and creating them, who takes part (and as
 * which party), the list a user sees, and the fan-out's recipients.
 *
 * Recipients are cached per node, as on SQLite, but membership and shop staff can change on another
 * node: the cache is cleared when a merchant authenticates here (the one change that adds a
 * recipient on a node: an agent's sockets are where their pushes go) and entries live at most
 * RECIPIENTS_TTL_MS.
 */
import { randomUUID } from 'node:crypto';
import { ConversationKind, Role, type ConversationInfo, type ConversationView, type Member } from '../../../schema';
import type { Identity } from '../../auth/tokens';
import { toInfo, toMember, toMessage, type ConversationRow, type MemberRow, type MessageRow } from '../rows';
import type { Store } from '../Store';
import { asParty, partyParams } from './party';
import type { PgWrite, Tx } from './PgGroupCommit';

type ConversationMethods = 'getConversation' | 'partyIn' | 'listConversations' | 'conversationPage' | 'openDirect' | 'createGroup' | 'listMembers' | 'recipients';

/** Reads outside a write: one pooled query. */
export type Query = <R>(text: string, params?: readonly unknown[]) => Promise<R[]>;

type PartyRow = ConversationRow & { party: string; read_seq: number; unread: number } & { [K in keyof MessageRow as `m_${K}`]: MessageRow[K] | null };

const RECIPIENTS_TTL_MS = 60_000;

export class PgConversations implements Pick<Store, ConversationMethods> {
  private readonly recipientCache = new Map<string, { ids: string[]; at: number }>();

  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
    private readonly now: () => number,
  ) {}

  forgetRecipients(): void {
    this.recipientCache.clear();
  }

  async getConversation(id: string): Promise<ConversationInfo | null> {
    const [row] = await this.query<ConversationRow>('SELECT * FROM conversations WHERE id = $1', [id]);
    return row ? toInfo(row) : null;
  }

  /** partyIn, on a write's transaction or the pool. */
  static async partyOn(q: Query | Tx['query'], user: Identity, conversationId: string): Promise<string | null> {
    const rows = await q<{ kind: string }>(`SELECT kind FROM members WHERE conversation_id = $1 AND ${asParty(2, 3)}`, [conversationId, ...partyParams(user)]);
    const kinds = rows.map((r) => r.kind);
    if (kinds.includes('shop')) return user.shopId;
    return kinds.includes('user') ? user.userId : null;
  }

  partyIn(user: Identity, conversationId: string): Promise<string | null> {
    return PgConversations.partyOn(this.query, user, conversationId);
  }

  async listConversations(user: Identity, limit: number, offset: number) {
    const [{ total }] = (await this.query<{ total: number }>(
      `SELECT COUNT(DISTINCT conversation_id) AS total FROM members WHERE ${asParty(1, 2)}`,
      partyParams(user),
    )) as [{ total: number }];
    const rows = await this.views(`${asParty(1, 2, 'm.')}`, 'c.last_activity_at DESC, c.id', 'LIMIT $3 OFFSET $4', [...partyParams(user), limit, offset]);
    return { conversations: rows, total };
  }

  async conversationPage(user: Identity, afterId: string | undefined, limit: number) {
    const rows = await this.views(`${asParty(1, 2, 'm.')} AND c.id > $3`, 'c.id', 'LIMIT $4', [...partyParams(user), afterId ?? '', limit + 1]);
    return { conversations: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /**
   * The user's conversations as the list shows each to the party they speak as: unread count and
   * last message, in one query. A merchant who is both a user member and their shop's agent in one
   * conversation is shown it once (as on SQLite, the first member row found).
   */
  private async views(where: string, order: string, page: string, params: readonly unknown[]): Promise<ConversationView[]> {
    const rows = await this.query<PartyRow>(
      `SELECT c.*, p.party, p.read_seq,
              (SELECT COUNT(*) FROM messages u WHERE u.conversation_id = c.id AND u.seq > p.read_seq AND u.party_id <> p.party) AS unread,
              l.conversation_id AS m_conversation_id, l.seq AS m_seq, l.sender_id AS m_sender_id, l.client_id AS m_client_id,
              l.content AS m_content, l.server_ts AS m_server_ts
         FROM (SELECT DISTINCT ON (m.conversation_id) m.conversation_id, m.member_id AS party, m.read_seq
                 FROM members m JOIN conversations c ON c.id = m.conversation_id
                WHERE ${where}
                ORDER BY m.conversation_id, m.kind DESC) p
         JOIN conversations c ON c.id = p.conversation_id
         LEFT JOIN messages l ON l.conversation_id = c.id AND l.seq = c.last_seq
        ORDER BY ${order}
        ${page}`,
      params,
    );
    return rows.map((r) => ({
      ...toInfo(r),
      readSeq: r.read_seq,
      unread: r.unread,
      lastMessage:
        r.m_seq === null
          ? null
          : toMessage({ conversation_id: r.m_conversation_id!, seq: r.m_seq, sender_id: r.m_sender_id!, client_id: r.m_client_id!, content: r.m_content!, server_ts: r.m_server_ts! }),
    }));
  }

  private async insertConversation(tx: Tx, kind: 'direct' | 'group', title: string, shopId: string | null, customerId: string | null, createdBy: string): Promise<ConversationRow> {
    const now = this.now();
    const [row] = await tx.query<ConversationRow>(
      `INSERT INTO conversations (id, kind, title, shop_id, customer_id, created_by, created_at, last_activity_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *`,
      [`c_${randomUUID()}`, kind, title, shopId, customerId, createdBy, now],
    );
    return row!;
  }

  private async addMembers(tx: Tx, conversationId: string, members: readonly { id: string; kind: 'user' | 'shop' }[]): Promise<void> {
    await tx.query(
      `INSERT INTO members (conversation_id, member_id, kind, joined_at)
       SELECT $1, id, kind, $4 FROM unnest($2::text[], $3::text[]) AS m(id, kind) ON CONFLICT DO NOTHING`,
      [conversationId, members.map((m) => m.id), members.map((m) => m.kind), this.now()],
    );
    this.recipientCache.delete(conversationId);
  }

  openDirect(customer: Identity, shopId: string) {
    // Two nodes opening the same pair race on the unique index: the group commit runs the loser again, which finds the winner's.
    return this.write([], async (tx) => {
      const [shop] = await tx.query<{ name: string }>('SELECT name FROM shops WHERE id = $1', [shopId]);
      if (!shop) return null;
      const [existing] = await tx.query<ConversationRow>("SELECT * FROM conversations WHERE kind = 'direct' AND shop_id = $1 AND customer_id = $2", [shopId, customer.userId]);
      if (existing) return { conversation: toInfo(existing) };
      const row = await this.insertConversation(tx, ConversationKind.DIRECT, `${customer.displayName} · ${shop.name}`, shopId, customer.userId, customer.userId);
      await this.addMembers(tx, row.id, [
        { id: customer.userId, kind: 'user' },
        { id: shopId, kind: 'shop' },
      ]);
      const conversation = toInfo(row);
      tx.append(row.id, { kind: 'conversation', conversation });
      return { conversation };
    });
  }

  createGroup(creator: Identity, title: string, memberIds: readonly string[]) {
    return this.write([], async (tx) => {
      const shopId = creator.role === Role.MERCHANT ? creator.shopId : null;
      const row = await this.insertConversation(tx, ConversationKind.GROUP, title, shopId, null, creator.userId);
      const first = shopId ? { id: shopId, kind: 'shop' as const } : { id: creator.userId, kind: 'user' as const };
      // Members join in this order (the list is ordered by join time, then id).
      await this.addMembers(tx, row.id, [first]);
      const others = [...new Set(memberIds)].filter((id) => !(first.kind === 'user' && id === first.id));
      if (others.length > 0) await this.addMembers(tx, row.id, others.map((id) => ({ id, kind: 'user' as const })));
      const conversation = toInfo(row);
      tx.append(row.id, { kind: 'conversation', conversation });
      return { conversation };
    });
  }

  async listMembers(conversationId: string): Promise<Member[]> {
    const rows = await this.query<MemberRow>(
      `SELECT m.member_id, m.kind, m.delivered_seq, m.read_seq,
              u.role AS role, COALESCE(u.display_name, s.name, m.member_id) AS display_name
         FROM members m
         LEFT JOIN users u ON m.kind = 'user' AND u.id = m.member_id
         LEFT JOIN shops s ON m.kind = 'shop' AND s.id = m.member_id
        WHERE m.conversation_id = $1
        ORDER BY m.joined_at, m.member_id`,
      [conversationId],
    );
    return rows.map(toMember);
  }

  async recipients(conversationId: string): Promise<string[]> {
    const cached = this.recipientCache.get(conversationId);
    if (cached && this.now() - cached.at < RECIPIENTS_TTL_MS) return cached.ids;
    const rows = await this.query<{ id: string }>(
      `SELECT member_id AS id FROM members WHERE conversation_id = $1 AND kind = 'user'
       UNION
       SELECT u.id FROM members m JOIN users u ON u.shop_id = m.member_id AND u.role = 'merchant'
        WHERE m.conversation_id = $1 AND m.kind = 'shop'`,
      [conversationId],
    );
    const ids = rows.map((r) => r.id);
    this.recipientCache.set(conversationId, { ids, at: this.now() });
    return ids;
  }
}
