/**
 * What the local-store benchmarks write: sends as the composer makes them, and pages of received
 * messages as messages.range returns them. Built before the clock starts.
 */
import type { Content, Message } from '../../schema';
import type { EnqueueInput } from '../../worker/store/LocalStore';

export const ME = 'alice';
export const PEER = 'shop-agent';
export const T0 = 1_760_000_000_000;

/** Mixed Chinese and Latin text of about `bytes` UTF-8 bytes (the trigram index sees both). */
export function textOf(i: number, bytes: number): string {
  const head = `#${i} 你好，请问这件商品有现货吗？Is the blue one in stock, size M? 订单 ${i * 7919} `;
  const filler = '尺码偏大还是偏小？ ship to Hangzhou by Friday? ';
  let text = head;
  while (new TextEncoder().encode(text).byteLength < bytes) text += filler;
  // Trim to the byte budget on a character boundary.
  while (new TextEncoder().encode(text).byteLength > bytes) text = text.slice(0, -1);
  return text;
}

/** `n` sends spread over `conversations` conversations, ids unique within `tag`. */
export function sends(tag: string, n: number, conversations: number, textBytes: number): EnqueueInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: uuid(tag, i),
    conversationId: `c_${i % conversations}`,
    content: { type: 'text', text: textOf(i, textBytes) } as Content,
    createdAt: T0 + i,
  }));
}

/**
 * `n` messages of one conversation, seq 1..n: every 4th is the user's own (sent from another
 * device), the rest the peer's. The content's JSON is about `contentBytes` bytes.
 */
export function history(conversationId: string, n: number, contentBytes: number): Message[] {
  // '{"type":"text","text":""}' is 25 bytes of the budget.
  const text = textOf(0, Math.max(1, contentBytes - 25));
  return Array.from({ length: n }, (_, i) => ({
    id: uuid(conversationId, i),
    conversationId,
    seq: i + 1,
    senderId: i % 4 === 3 ? ME : PEER,
    // Each message's text differs (its number first), like real history; same length.
    content: { type: 'text', text: `${i} ${text}`.slice(0, text.length) } as Content,
    serverTs: T0 + i * 1000,
  }));
}

/** A deterministic UUID (v4 layout) per tag and index: the schema wants UUIDs for message ids. */
function uuid(tag: string, i: number): string {
  let h = 0x811c9dc5;
  for (const ch of tag) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const hex = (v: number, len: number) => (v >>> 0).toString(16).padStart(len, '0').slice(-len);
  return `${hex(h, 8)}-${hex(i >>> 16, 4)}-4${hex(i, 3)}-8${hex(i * 2654435761, 3)}-${hex(i, 12)}`;
}
