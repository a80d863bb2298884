/**
 * Conversations and their members on the server's SQLite database: opening and creating them, who
 * takes part (and as which party), the list a user sees, and the fan-out's recipients, cached.
 */
import { randomUUID } from 'node:crypto';
import { ConversationKind, Role, type ConversationInfo, type ConversationView, type Member } from '../../../schema';
import type { Identity } from '../../auth/tokens';
import type { Store } from '../Store';
import type { AppendEvent, Write } from './ports';
import { toInfo, toMember, toMessage, type ConversationRow, type MemberRow, type MessageRow } from '../rows';
import { asParty, partyParams } from './party';
import type { Sql } from './statements';

type ConversationMethods = 'getConversation' | 'partyIn' | 'listConversations' | 'conversationPage' | 'openDirect' | 'createGroup' | 'listMembers' | 'recipients';

/** A conversation row with the caller's member row: the party it speaks as and that party's read position. */
type PartyRow = ConversationRow & { party: string; read_seq: number };

export class SqliteConversations implements Pick<Store, ConversationMethods> {
  /**
   * conversation id -> user ids to fan out to. Cleared whenever membership or shop staff change
   * (staff: SqliteUsers reports it, and the facade calls forgetRecipients).
   */
  private readonly recipientCache = new Map<string, string[]>();

  constructor(
    private readonly sql: Sql,
    private readonly write: Write,
    private readonly now: () => number,
    private readonly appendEvent: AppendEvent,
  ) {}

  /** A shop's staff changed: any conversation's recipients may have. */
  forgetRecipients(): void {
    this.recipientCache.clear();
  }

  private conversationRow(id: string): ConversationRow | undefined {
    return this.sql('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
  }

  async getConversation(id: string): Promise<ConversationInfo | null> {
    const row = this.conversationRow(id);
    return row ? toInfo(row) : null;
  }

  /** partyIn, for use inside a write. */
  partyInSync(user: Identity, conversationId: string): string | null {
    const kinds = this.sql(`SELECT kind FROM members WHERE conversation_id = ? AND ${asParty()}`)
      .pluck()
      .all(conversationId, ...partyParams(user)) as string[];
    if (kinds.includes('shop')) return user.shopId;
    return kinds.includes('user') ? user.userId : null;
  }

  async partyIn(user: Identity, conversationId: string): Promise<string | null> {
    return this.partyInSync(user, conversationId);
  }

  async listConversations(user: Identity, limit: number, offset: number) {
    const parties = partyParams(user);
    const total = this.sql(`SELECT COUNT(DISTINCT conversation_id) FROM members WHERE ${asParty()}`)
      .pluck()
      .get(...parties) as number;
    const rows = this.sql(
        `SELECT c.*, m.member_id AS party, m.read_seq AS read_seq
           FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE ${asParty('m.')}
          GROUP BY c.id
          ORDER BY c.last_activity_at DESC, c.id
          LIMIT ? OFFSET ?`,
      )
      .all(...parties, limit, offset) as PartyRow[];
    return { conversations: this.views(rows), total };
  }

  async conversationPage(user: Identity, afterId: string | undefined, limit: number) {
    const rows = this.sql(
        `SELECT c.*, m.member_id AS party, m.read_seq AS read_seq
           FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE ${asParty('m.')} AND c.id > ?
          GROUP BY c.id
          ORDER BY c.id
          LIMIT ?`,
      )
      .all(...partyParams(user), afterId ?? '', limit + 1) as PartyRow[];
    return { conversations: this.views(rows.slice(0, limit)), hasMore: rows.length > limit };
  }

  /** Each conversation as the list shows it to the party the row was read for: unread count and last message. */
  private views(rows: readonly PartyRow[]): ConversationView[] {
    const unread = this.sql(
      'SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND party_id != ?',
    ).pluck();
    const last = this.sql('SELECT * FROM messages WHERE conversation_id = ? AND seq = ?');
    return rows.map((r) => {
      const lastRow = last.get(r.id, r.last_seq) as MessageRow | undefined;
      return {
        ...toInfo(r),
        readSeq: r.read_seq,
        unread: unread.get(r.id, r.read_seq, r.party) as number,
        lastMessage: lastRow ? toMessage(lastRow) : null,
      };
    });
  }

  private insertConversation(kind: 'direct' | 'group', title: string, shopId: string | null, customerId: string | null, createdBy: string): ConversationRow {
    const now = this.now();
    const id = `c_${randomUUID()}`;
    this.sql(
        `INSERT INTO conversations (id, kind, title, shop_id, customer_id, created_by, created_at, last_activity_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, kind, title, shopId, customerId, createdBy, now, now);
    return this.conversationRow(id)!;
  }

  private addMember(conversationId: string, memberId: string, kind: 'user' | 'shop'): void {
    this.sql('INSERT OR IGNORE INTO members (conversation_id, member_id, kind, joined_at) VALUES (?, ?, ?, ?)')
      .run(conversationId, memberId, kind, this.now());
    this.recipientCache.delete(conversationId);
  }

  openDirect(customer: Identity, shopId: string) {
    return this.write(() => {
      const shop = this.sql('SELECT name FROM shops WHERE id = ?').pluck().get(shopId) as string | undefined;
      if (shop === undefined) return null;
      const existing = this.sql("SELECT * FROM conversations WHERE kind = 'direct' AND shop_id = ? AND customer_id = ?")
        .get(shopId, customer.userId) as ConversationRow | undefined;
      if (existing) return { conversation: toInfo(existing) };
      const row = this.insertConversation(ConversationKind.DIRECT, `${customer.displayName} · ${shop}`, shopId, customer.userId, customer.userId);
      this.addMember(row.id, customer.userId, 'user');
      this.addMember(row.id, shopId, 'shop');
      const conversation = toInfo(row);
      this.appendEvent(row.id, { kind: 'conversation', conversation });
      return { conversation };
    });
  }

  createGroup(creator: Identity, title: string, memberIds: readonly string[]) {
    return this.write(() => {
      const shopId = creator.role === Role.MERCHANT ? creator.shopId : null;
      const row = this.insertConversation(ConversationKind.GROUP, title, shopId, null, creator.userId);
      if (shopId) this.addMember(row.id, shopId, 'shop');
      else this.addMember(row.id, creator.userId, 'user');
      for (const id of new Set(memberIds)) this.addMember(row.id, id, 'user');
      const conversation = toInfo(row);
      this.appendEvent(row.id, { kind: 'conversation', conversation });
      return { conversation };
    });
  }

  async listMembers(conversationId: string): Promise<Member[]> {
    const rows = this.sql(
        `SELECT m.member_id, m.kind, m.delivered_seq, m.read_seq,
                u.role AS role, COALESCE(u.display_name, s.name, m.member_id) AS display_name
           FROM members m
           LEFT JOIN users u ON m.kind = 'user' AND u.id = m.member_id
           LEFT JOIN shops s ON m.kind = 'shop' AND s.id = m.member_id
          WHERE m.conversation_id = ?
          ORDER BY m.joined_at, m.member_id`,
      )
      .all(conversationId) as MemberRow[];
    return rows.map(toMember);
  }

  async recipients(conversationId: string): Promise<string[]> {
    const cached = this.recipientCache.get(conversationId);
    if (cached) return cached;
    const ids = this.sql(
        `SELECT member_id FROM members WHERE conversation_id = ? AND kind = 'user'
         UNION
         SELECT u.id FROM members m JOIN users u ON u.shop_id = m.member_id AND u.role = 'merchant'
          WHERE m.conversation_id = ? AND m.kind = 'shop'`,
      )
      .pluck()
      .all(conversationId, conversationId) as string[];
    this.recipientCache.set(conversationId, ids);
    return ids;
  }
}
