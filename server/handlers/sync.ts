import { contentBytes, eventKnownTo, HEAD_ANSWER_BYTES, type HeadEntry } from '../../schema';
import type { Handler } from './context';

/** The push stream as a pull: how a client catches up in large pages after a long absence. */
export const sync: Handler<'sync'> = async (ctx, p) => {
  const { events, hasMore } = await ctx.deps.store.eventsAfter(ctx.identity, p.cursor, p.limit);
  // The cursor moves past what an older client is not sent, as past what it is.
  const nextCursor = events.at(-1)?.cursor ?? p.cursor;
  return { events: events.filter((e) => eventKnownTo(ctx.version, e.event.kind)), hasMore, nextCursor };
};

/** What a device told to resync may keep of each conversation: see `conversations.seqsAt` in the schema. */
export const seqsAt: Handler<'conversations.seqsAt'> = (ctx, p) => ctx.deps.store.seqsAt(ctx.identity, p.cursor, p.afterId, p.limit);

/** A message's share of an answer beyond its content: ids, seq, timestamps, JSON. */
const MESSAGE_OVERHEAD_BYTES = 200;

/**
 * What a device starting at the head loads instead of the stream: see `sync.head` in the schema.
 * The answer stops early past HEAD_ANSWER_BYTES of content (a page of large messages in each of 50
 * conversations would otherwise be tens of megabytes in one frame); the next page starts after the
 * last conversation it holds.
 */
export const head: Handler<'sync.head'> = async (ctx, p) => {
  const { store } = ctx.deps;
  const page = await store.conversationPage(ctx.identity, p.afterId, p.limit);
  const conversations: HeadEntry[] = [];
  let bytes = 0;
  for (const conversation of page.conversations) {
    if (conversations.length > 0 && bytes >= HEAD_ANSWER_BYTES) return { conversations, hasMore: true };
    const [{ messages }, members] = await Promise.all([store.history(conversation.id, undefined, p.messages), store.listMembers(conversation.id)]);
    for (const m of messages) bytes += contentBytes(m.content) + MESSAGE_OVERHEAD_BYTES;
    conversations.push({ conversation, messages, members });
  }
  return { conversations, hasMore: page.hasMore };
};
