import type { Handler } from './context';

/** The push stream as a pull: how a client catches up in large pages after a long absence. */
export const sync: Handler<'sync'> = async (ctx, p) => {
  const { events, hasMore } = await ctx.deps.store.eventsAfter(ctx.identity, p.cursor, p.limit);
  return { events, hasMore, nextCursor: events.at(-1)?.cursor ?? p.cursor };
};

/** What a device told to resync may keep of each conversation: see `conversations.seqsAt` in the schema. */
export const seqsAt: Handler<'conversations.seqsAt'> = (ctx, p) => ctx.deps.store.seqsAt(ctx.identity, p.cursor, p.afterId, p.limit);
