/** A stored message of someone else's ('bob' in 'c1') as the local store returns it, for unit tests. */
import type { LocalMessage } from '../../worker/protocol';

export function receivedMessage(id: string, seq: number | null, over: Partial<LocalMessage> = {}): LocalMessage {
  return {
    id,
    senderId: 'bob',
    conversationId: 'c1',
    seq,
    content: { type: 'text', text: id },
    state: 'received',
    error: null,
    createdAt: seq ?? 1000,
    serverTs: seq,
    ...over,
  };
}
