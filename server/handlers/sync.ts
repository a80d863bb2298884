import type { Handler } from './context';

/** The push stream as a pull: how a client catches up in large pages after a long absence. */
export const sync: Handler<'sync'> = async (ctx, p) => {
  const { events, hasMore } = await ctx.deps.store.eventsAfter(ctx.identity, p.cursor, p.limit);
  return { events, hasMore, nextCursor: events.at(-1)?.cursor ?? p.cursor };
};
