/**
 * Messages and receipts on PostgreSQL: storing sends (idempotent by the sender's client id across
 * nodes, gapless seq per conversation), reading history, and moving delivered/read positions only
 * forward. Every write names its conversation, which the group commit locks first: seqs are taken
 * one group at a time per conversation, cluster-wide, and a retry landing on another node while the
 * first is committing waits for it and then finds its row.
 */
import type { Message, ReceiptKind } from '../../../schema';
import { RECALLED_JSON, toMessage, type MessageRow } from '../rows';
import type { RecallInput, RecallOutcome, SendInput, SendOutcome, Store } from '../Store';
import { asParty, partyParams } from './party';
import type { Query } from './PgConversations';
import type { PgWrite, Tx } from './PgGroupCommit';

type MessageMethods = 'history' | 'range' | 'send' | 'sendBatch' | 'recall' | 'receipt' | 'messageCount';

/** The sender's earlier message with this client id, if any, and the kinds of member row they speak through here. */
type PriorRow = Partial<MessageRow> & { kinds: string[] | null };

export class PgMessages implements Pick<Store, MessageMethods> {
  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
    private readonly now: () => number,
  ) {}

  async history(conversationId: string, beforeSeq: number | undefined, limit: number) {
    const rows = await this.query<MessageRow>('SELECT * FROM messages WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3', [
      conversationId,
      beforeSeq ?? Number.MAX_SAFE_INTEGER,
      limit + 1,
    ]);
    return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore: rows.length > limit };
  }

  async range(conversationId: string, afterSeq: number, limit: number) {
    const rows = await this.query<MessageRow>('SELECT * FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [conversationId, afterSeq, limit + 1]);
    return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
  }

  send(input: SendInput): Promise<SendOutcome> {
    return this.write([input.conversationId], (tx) => this.storeMessage(tx, input));
  }

  sendBatch(inputs: readonly SendInput[]): Promise<SendOutcome[]> {
    return this.write(
      inputs.map((i) => i.conversationId),
      async (tx) => {
        const outcomes: SendOutcome[] = [];
        for (const input of inputs) {
          const outcome = await this.storeMessage(tx, input);
          outcomes.push(outcome);
          if (outcome.kind === 'conflict') break;
        }
        return outcomes;
      },
    );
  }

  /** One send, inside a write: two statements (look up, then bump, insert and mark read in one). */
  private async storeMessage(tx: Tx, input: SendInput): Promise<SendOutcome> {
    const [prior] = await tx.query<PriorRow>(
      `SELECT p.*, (SELECT array_agg(kind) FROM members WHERE conversation_id = $3 AND ${asParty(4, 5)}) AS kinds
         FROM (SELECT 1) AS one LEFT JOIN messages p ON p.sender_id = $1 AND p.client_id = $2`,
      [input.sender.userId, input.clientId, input.conversationId, ...partyParams(input.sender)],
    );
    if (prior!.seq !== null && prior!.seq !== undefined) {
      return prior!.conversation_id === input.conversationId ? { kind: 'duplicate', message: toMessage(prior as MessageRow) } : { kind: 'conflict' };
    }
    const kinds = prior!.kinds ?? [];
    const party = kinds.includes('shop') ? input.sender.shopId! : input.sender.userId;
    const now = this.now();
    const content = JSON.stringify(input.content);
    const [stored] = await tx.query<{ seq: number }>(
      `WITH bump AS (
         UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = $2 WHERE id = $1 RETURNING last_seq
       ), ins AS (
         INSERT INTO messages (conversation_id, seq, sender_id, party_id, client_id, content, server_ts)
         SELECT $1, last_seq, $3, $4, $5, $6, $2 FROM bump RETURNING seq
       ), seen AS (
         -- The sender has seen what they wrote.
         UPDATE members SET read_seq = GREATEST(read_seq, (SELECT seq FROM ins)), delivered_seq = GREATEST(delivered_seq, (SELECT seq FROM ins))
          WHERE conversation_id = $1 AND member_id = $4
       )
       SELECT seq FROM ins`,
      [input.conversationId, now, input.sender.userId, party, input.clientId, content],
    );
    if (!stored) throw new Error(`conversation ${input.conversationId} does not exist`);
    const message: Message = { id: input.clientId, conversationId: input.conversationId, seq: stored.seq, senderId: input.sender.userId, content: input.content, serverTs: now };
    const origin = input.deviceId === undefined ? undefined : { userId: input.sender.userId, deviceId: input.deviceId };
    tx.append(input.conversationId, { kind: 'message', message }, origin);
    // An agent speaks for the shop: the other agents' devices count unread per shop, so they hear the shop read this far.
    if (party !== input.sender.userId) {
      tx.append(input.conversationId, { kind: 'receipt', conversationId: input.conversationId, userId: party, receipt: 'read', upToSeq: stored.seq }, origin);
    }
    return { kind: 'stored', message };
  }

  recall(input: RecallInput): Promise<RecallOutcome> {
    return this.write([input.conversationId], async (tx): Promise<RecallOutcome> => {
      const [row] = await tx.query<MessageRow>('SELECT * FROM messages WHERE sender_id = $1 AND client_id = $2', [input.sender.userId, input.messageId]);
      if (!row || row.conversation_id !== input.conversationId) return { kind: 'not_found' };
      if (row.content === RECALLED_JSON) return { kind: 'already', message: toMessage(row) };
      if (this.now() - row.server_ts > input.windowMs) return { kind: 'too_late' };
      await tx.query('UPDATE messages SET content = $3 WHERE conversation_id = $1 AND seq = $2', [row.conversation_id, row.seq, RECALLED_JSON]);
      const message = toMessage({ ...row, content: RECALLED_JSON });
      tx.append(row.conversation_id, { kind: 'recall', conversationId: row.conversation_id, senderId: row.sender_id, messageId: row.client_id, seq: row.seq });
      return { kind: 'recalled', message };
    });
  }

  receipt(party: string, conversationId: string, kind: ReceiptKind, upToSeq: number) {
    return this.write([conversationId], async (tx) => {
      const [row] = await tx.query<{ delivered_seq: number; read_seq: number; last_seq: number }>(
        `SELECT m.delivered_seq, m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.conversation_id = $1 AND m.member_id = $2`,
        [conversationId, party],
      );
      if (!row) return { seq: 0 };
      const current = kind === 'read' ? row.read_seq : row.delivered_seq;
      const target = Math.min(upToSeq, row.last_seq);
      if (target <= current) return { seq: current };
      // Reading implies the message arrived.
      await tx.query(
        kind === 'read'
          ? 'UPDATE members SET read_seq = $3, delivered_seq = GREATEST(delivered_seq, $3) WHERE conversation_id = $1 AND member_id = $2'
          : 'UPDATE members SET delivered_seq = $3 WHERE conversation_id = $1 AND member_id = $2',
        [conversationId, party, target],
      );
      tx.append(conversationId, { kind: 'receipt', conversationId, userId: party, receipt: kind, upToSeq: target });
      return { seq: target };
    });
  }

  async messageCount(): Promise<number> {
    const [row] = await this.query<{ n: number }>('SELECT COUNT(*) AS n FROM messages');
    return row!.n;
  }
}
