/**
 * Messages and receipts on the server's SQLite database: storing sends (idempotent by the sender's
 * client id, gapless seq per conversation), reading history, and moving delivered/read positions.
 */
import type { Message, ReceiptKind } from '../../../schema';
import type { Identity } from '../../auth/tokens';
import type { RecallInput, RecallOutcome, SendInput, SendOutcome, Store } from '../Store';
import type { AppendEvent, Write } from './ports';
import { RECALLED_JSON, toMessage, type MessageRow } from '../rows';
import type { Sql } from './statements';

type MessageMethods = 'history' | 'range' | 'send' | 'sendBatch' | 'recall' | 'receipt' | 'messageCount';

export class SqliteMessages implements Pick<Store, MessageMethods> {
  constructor(
    private readonly sql: Sql,
    private readonly write: Write,
    private readonly now: () => number,
    private readonly appendEvent: AppendEvent,
    /** The party the user speaks for in the conversation, or null; callable inside a write (SqliteConversations). */
    private readonly partyIn: (user: Identity, conversationId: string) => string | null,
  ) {}

  async history(conversationId: string, beforeSeq: number | undefined, limit: number) {
    const rows = this.sql('SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
      .all(conversationId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit + 1) as MessageRow[];
    const hasMore = rows.length > limit;
    return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore };
  }

  async range(conversationId: string, afterSeq: number, limit: number) {
    const rows = this.sql('SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(conversationId, afterSeq, limit + 1) as MessageRow[];
    return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
  }

  send(input: SendInput): Promise<SendOutcome> {
    return this.write(() => this.storeMessage(input));
  }

  sendBatch(inputs: readonly SendInput[]): Promise<SendOutcome[]> {
    return this.write(() => {
      const outcomes: SendOutcome[] = [];
      for (const input of inputs) {
        const outcome = this.storeMessage(input);
        outcomes.push(outcome);
        if (outcome.kind === 'conflict') break;
      }
      return outcomes;
    });
  }

  /** One send's SQL, inside a write. */
  private storeMessage(input: SendInput): SendOutcome {
    const prior = this.sql('SELECT * FROM messages WHERE sender_id = ? AND client_id = ?')
      .get(input.sender.userId, input.clientId) as MessageRow | undefined;
    if (prior) {
      return prior.conversation_id === input.conversationId
        ? { kind: 'duplicate', message: toMessage(prior) }
        : { kind: 'conflict' };
    }
    const now = this.now();
    const seq = this.sql('UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ? RETURNING last_seq')
      .pluck()
      .get(now, input.conversationId) as number;
    const party = this.partyIn(input.sender, input.conversationId) ?? input.sender.userId;
    const content = JSON.stringify(input.content);
    this.sql(
        `INSERT INTO messages (conversation_id, seq, sender_id, party_id, client_id, content, server_ts)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(input.conversationId, seq, input.sender.userId, party, input.clientId, content, now);
    // The sender has seen what they wrote.
    this.sql(
        `UPDATE members SET read_seq = MAX(read_seq, ?), delivered_seq = MAX(delivered_seq, ?)
          WHERE conversation_id = ? AND member_id = ?`,
      )
      .run(seq, seq, input.conversationId, party);
    const message: Message = {
      id: input.clientId,
      conversationId: input.conversationId,
      seq,
      senderId: input.sender.userId,
      content: input.content,
      serverTs: now,
    };
    const origin = input.deviceId === undefined ? undefined : { userId: input.sender.userId, deviceId: input.deviceId };
    this.appendEvent(input.conversationId, { kind: 'message', message }, origin);
    // An agent speaks for the shop: the shop has read this far, which the other agents' devices
    // need to hear (they count unread per shop, not per agent). The sending device knows it.
    if (party !== input.sender.userId) {
      this.appendEvent(input.conversationId, { kind: 'receipt', conversationId: input.conversationId, userId: party, receipt: 'read', upToSeq: seq }, origin);
    }
    return { kind: 'stored', message };
  }

  recall(input: RecallInput): Promise<RecallOutcome> {
    return this.write((): RecallOutcome => {
      const row = this.sql('SELECT * FROM messages WHERE sender_id = ? AND client_id = ?').get(input.sender.userId, input.messageId) as MessageRow | undefined;
      if (!row || row.conversation_id !== input.conversationId) return { kind: 'not_found' };
      if (row.content === RECALLED_JSON) return { kind: 'already', message: toMessage(row) };
      if (this.now() - row.server_ts > input.windowMs) return { kind: 'too_late' };
      this.sql('UPDATE messages SET content = ? WHERE conversation_id = ? AND seq = ?').run(RECALLED_JSON, row.conversation_id, row.seq);
      const message = toMessage({ ...row, content: RECALLED_JSON });
      this.appendEvent(row.conversation_id, { kind: 'recall', conversationId: row.conversation_id, senderId: row.sender_id, messageId: row.client_id, seq: row.seq });
      return { kind: 'recalled', message };
    });
  }

  receipt(party: string, conversationId: string, kind: ReceiptKind, upToSeq: number) {
    return this.write(() => {
      const column = kind === 'read' ? 'read_seq' : 'delivered_seq';
      const row = this.sql(
          `SELECT m.delivered_seq, m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.conversation_id = ? AND m.member_id = ?`,
        )
        .get(conversationId, party) as { delivered_seq: number; read_seq: number; last_seq: number } | undefined;
      if (!row) return { seq: 0 };
      const current = kind === 'read' ? row.read_seq : row.delivered_seq;
      const target = Math.min(upToSeq, row.last_seq);
      if (target <= current) return { seq: current };
      this.sql(`UPDATE members SET ${column} = ? WHERE conversation_id = ? AND member_id = ?`).run(target, conversationId, party);
      // Reading implies the message arrived.
      if (kind === 'read' && row.delivered_seq < target) {
        this.sql('UPDATE members SET delivered_seq = ? WHERE conversation_id = ? AND member_id = ?').run(target, conversationId, party);
      }
      this.appendEvent(conversationId, { kind: 'receipt', conversationId, userId: party, receipt: kind, upToSeq: target });
      return { seq: target };
    });
  }

  async messageCount(): Promise<number> {
    return this.sql('SELECT COUNT(*) FROM messages').pluck().get() as number;
  }
}
