import { ErrorCode, ParleyError, Role } from '../../schema';
import { requireParty, type Handler } from './context';

export const listConversations: Handler<'conversations.list'> = (ctx, p) =>
  ctx.deps.store.listConversations(ctx.identity, p.limit, p.offset);

export const createConversation: Handler<'conversations.create'> = async (ctx, p) => {
  const { store, publish } = ctx.deps;
  if (p.kind === 'direct') {
    if (ctx.identity.role !== Role.CUSTOMER) {
      throw new ParleyError(ErrorCode.FORBIDDEN, 'only customers open a conversation with a shop');
    }
    const opened = await store.openDirect(ctx.identity, p.shopId);
    if (!opened) throw new ParleyError(ErrorCode.NOT_FOUND, `no shop ${p.shopId}`);
    await publish(opened.conversation.id, opened.cursor, { kind: 'conversation', conversation: opened.conversation });
    return { conversation: opened.conversation };
  }
  if (ctx.identity.role === Role.CUSTOMER) {
    throw new ParleyError(ErrorCode.FORBIDDEN, 'customers cannot create groups');
  }
  const others = [...new Set(p.memberIds)].filter((id) => id !== ctx.identity.userId);
  if (others.length === 0) throw new ParleyError(ErrorCode.INVALID_PARAMS, 'a group needs another member');
  const known = await store.knownUsers(others);
  const unknown = others.filter((id) => !known.has(id));
  if (unknown.length) throw new ParleyError(ErrorCode.NOT_FOUND, `unknown users: ${unknown.slice(0, 5).join(', ')}`);
  const created = await store.createGroup(ctx.identity, p.title, others);
  await publish(created.conversation.id, created.cursor, { kind: 'conversation', conversation: created.conversation });
  return { conversation: created.conversation };
};

export const listMembers: Handler<'conversations.members'> = async (ctx, p) => {
  await requireParty(ctx, p.conversationId);
  return { members: await ctx.deps.store.listMembers(p.conversationId) };
};
