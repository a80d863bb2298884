import { ErrorCode, ParleyError, Role } from '../../schema';
import { requireParty, type Handler } from './context';

export const listConversations: Handler<'conversations.list'> = (ctx, p) =>
  ctx.deps.store.listConversations(ctx.identity, p.limit, p.offset);

export const createConversation: Handler<'conversations.create'> = async (ctx, p) => {
  const { store, published } = ctx.deps;
  if (p.kind === 'direct') {
    if (ctx.identity.role !== Role.CUSTOMER) {
      throw new ParleyError(ErrorCode.FORBIDDEN, 'only customers open a conversation with a shop');
    }
    // Receipts and unread counts name a member by id within a conversation, so a customer whose id
    // is the shop's own cannot be told apart from the shop there.
    if (p.shopId === ctx.identity.userId) {
      throw new ParleyError(ErrorCode.FORBIDDEN, 'a user cannot open a conversation with a shop of the same id');
    }
    const opened = await store.openDirect(ctx.identity, p.shopId);
    if (!opened) throw new ParleyError(ErrorCode.NOT_FOUND, `no shop ${p.shopId}`);
    await published();
    return { conversation: opened.conversation };
  }
  const creator = ctx.identity;
  if (creator.role === Role.CUSTOMER) {
    throw new ParleyError(ErrorCode.FORBIDDEN, 'customers cannot create groups');
  }
  const asked = [...new Set(p.memberIds)].filter((id) => id !== creator.userId);
  const users = await store.users(asked);
  const unknown = asked.filter((id) => !users.has(id));
  if (unknown.length) throw new ParleyError(ErrorCode.NOT_FOUND, `unknown users: ${unknown.slice(0, 5).join(', ')}`);
  // A group with a shop's customer is that shop's to make: otherwise anyone with a partner's token
  // could title a group like the shop's support desk and message its customers.
  if (creator.role !== Role.MERCHANT && asked.some((id) => users.get(id)!.role === Role.CUSTOMER)) {
    throw new ParleyError(ErrorCode.FORBIDDEN, "only a shop's agents may add customers to a group");
  }
  // A merchant's group is the shop's: its agents are in it through the shop, not one by one.
  const others = asked.filter((id) => {
    const u = users.get(id)!;
    return !(creator.role === Role.MERCHANT && u.role === Role.MERCHANT && u.shopId === creator.shopId);
  });
  if (others.length === 0) throw new ParleyError(ErrorCode.INVALID_PARAMS, 'a group needs another member');
  const created = await store.createGroup(creator, p.title, others);
  await published();
  return { conversation: created.conversation };
};

export const listMembers: Handler<'conversations.members'> = async (ctx, p) => {
  await requireParty(ctx, p.conversationId);
  return { members: await ctx.deps.store.listMembers(p.conversationId) };
};
