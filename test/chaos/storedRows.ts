/**
 * What a device's database holds, as the chaos checker compares it: every message, the outbox
 * left, each conversation's read position and the stored push cursor. One reader for both kinds
 * of device: a Node device's file is read with it from the test (checker.ts readDevice), a
 * browser's database inside its worker (browser/chaosStore.ts). Plain data, so it crosses a port
 * and Playwright intact.
 */
import type { SqlExecutor } from '../../worker/store/SqlDriver';
import type { MessageState } from '../../worker/store/types';

export interface StoredRows {
  /** `content` as stored: JSON. */
  messages: { id: string; senderId: string; conversationId: string; seq: number | null; state: MessageState; content: string }[];
  /** Outbox rows left: queued or failed, with the last error as `CODE: message`. */
  outbox: { messageId: string; status: string; error: string | null }[];
  /** Each conversation's read position (the user's, or their shop's). */
  readSeq: [conversationId: string, readSeq: number][];
  /** Highest push cursor stored. */
  cursor: number;
}

/** Read in one go; call inside a transaction for a consistent picture of a database in use. */
export async function readStoredRows(db: Pick<SqlExecutor, 'all'>): Promise<StoredRows> {
  const messages = await db.all<{ id: string; sender_id: string; conversation_id: string; seq: number | null; state: MessageState; content: string }>(
    'SELECT id, sender_id, conversation_id, seq, state, content FROM messages',
  );
  const outbox = await db.all<{ message_id: string; status: string; last_error_code: string | null; last_error_message: string | null }>(
    'SELECT message_id, status, last_error_code, last_error_message FROM outbox',
  );
  const conversations = await db.all<{ id: string; read_seq: number }>('SELECT id, read_seq FROM conversations');
  const cursor = await db.all<{ value: string }>("SELECT value FROM meta WHERE key = 'cursor'");
  return {
    messages: messages.map((r) => ({ id: r.id, senderId: r.sender_id, conversationId: r.conversation_id, seq: r.seq, state: r.state, content: r.content })),
    outbox: outbox.map((r) => ({ messageId: r.message_id, status: r.status, error: r.last_error_code && `${r.last_error_code}: ${r.last_error_message}` })),
    readSeq: conversations.map((c) => [c.id, c.read_seq]),
    cursor: Number(cursor[0]?.value ?? 0),
  };
}
