import { ReceiptKind, type ReceiptKind as Kind } from '../../schema';
import { requireParty, type RequestContext } from './context';

async function advance(ctx: RequestContext, conversationId: string, kind: Kind, upToSeq: number): Promise<number> {
  const party = await requireParty(ctx, conversationId);
  const { seq } = await ctx.deps.store.receipt(party, conversationId, kind, upToSeq);
  await ctx.deps.published();
  return seq;
}

export const delivered = async (ctx: RequestContext, p: { conversationId: string; upToSeq: number }) => ({
  deliveredSeq: await advance(ctx, p.conversationId, ReceiptKind.DELIVERED, p.upToSeq),
});

export const markRead = async (ctx: RequestContext, p: { conversationId: string; upToSeq: number }) => ({
  readSeq: await advance(ctx, p.conversationId, ReceiptKind.READ, p.upToSeq),
});
