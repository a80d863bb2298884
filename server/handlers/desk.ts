import type { Handler } from './context';

export const deskState: Handler<'desk.state'> = (ctx) => ctx.deps.desk.state(ctx.identity);

export const deskAssign: Handler<'desk.assign'> = (ctx, p) => ctx.deps.desk.assign(ctx.identity, p);

export const saveQuickReply: Handler<'desk.replies.save'> = async (ctx, p) => ({ quickReplies: await ctx.deps.desk.saveReply(ctx.identity, p.reply) });

export const deleteQuickReply: Handler<'desk.replies.delete'> = async (ctx, p) => ({ quickReplies: await ctx.deps.desk.deleteReply(ctx.identity, p.id) });
