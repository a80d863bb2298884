/**
 * What the local database holds, for a support page ("why is my message stuck?") and for the chaos
 * checker in the browser: the stored push cursor, every outbox row with its last error, and where
 * each conversation stands. Small by construction: the outbox and the conversation list, no bodies.
 */
import { storedCursor } from './inbox';
import type { StoreDiagnostics } from '../protocol';
import type { SqlExecutor } from './SqlDriver';

export type { StoreDiagnostics } from '../protocol';

/** Outbox rows listed at most; more means something is badly stuck, and the count says how badly. */
const MAX_OUTBOX_ROWS = 1000;

export async function readDiagnostics(db: SqlExecutor): Promise<StoreDiagnostics> {
  const outbox = await db.all<{
    message_id: string;
    conversation_id: string;
    status: 'queued' | 'failed';
    attempts: number;
    last_error_code: string | null;
    last_error_message: string | null;
  }>(
    `SELECT message_id, conversation_id, status, attempts, last_error_code, last_error_message
     FROM outbox ORDER BY conversation_id, order_key LIMIT ?`,
    [MAX_OUTBOX_ROWS],
  );
  const total = await db.all<{ n: number }>('SELECT count(*) AS n FROM outbox');
  const conversations = await db.all<{ id: string; last_seq: number; contiguous_seq: number; read_seq: number }>(
    'SELECT id, last_seq, contiguous_seq, read_seq FROM conversations ORDER BY id',
  );
  return {
    cursor: await storedCursor(db),
    outbox: outbox.map((r) => ({
      messageId: r.message_id,
      conversationId: r.conversation_id,
      status: r.status,
      attempts: r.attempts,
      error: r.last_error_code && `${r.last_error_code}: ${r.last_error_message ?? ''}`,
    })),
    outboxTotal: total[0]?.n ?? 0,
    conversations: conversations.map((c) => ({ id: c.id, lastSeq: c.last_seq, contiguousSeq: c.contiguous_seq, readSeq: c.read_seq })),
  };
}
