import { Role, type Member, type Presence } from '../../schema';
import type { Identity } from '../auth/tokens';
import { requireParty, type Handler } from './context';

/**
 * Watch the other parties of these conversations. A shop is visible to every member; a customer only
 * to the agents of the conversation's shop (other customers in a shop's group do not see them);
 * any other user to their fellow members.
 */
export const watchPresence: Handler<'presence.watch'> = async (ctx, p) => {
  const { store } = ctx.deps;
  const watched: { conversationId: string; subjects: Pick<Presence, 'kind' | 'id'>[] }[] = [];
  for (const conversationId of new Set(p.conversationIds)) {
    const party = await requireParty(ctx, conversationId);
    const [conversation, members] = await Promise.all([store.getConversation(conversationId), store.listMembers(conversationId)]);
    const subjects = members.filter((m) => m.id !== party && visibleTo(ctx.identity, m, conversation?.shopId ?? null)).map((m) => ({ kind: m.kind, id: m.id }));
    watched.push({ conversationId, subjects });
  }
  const now = new Map(ctx.presence.watch(watched.flatMap((w) => w.subjects)).map((p) => [`${p.kind}:${p.id}`, p]));
  return { conversations: watched.map((w) => ({ conversationId: w.conversationId, presence: w.subjects.map((s) => now.get(`${s.kind}:${s.id}`)!) })) };
};

function visibleTo(viewer: Identity, member: Member, shopId: string | null): boolean {
  if (member.kind === 'shop' || member.role !== Role.CUSTOMER) return true;
  return viewer.role === Role.MERCHANT && shopId !== null && viewer.shopId === shopId;
}

export const setPresence: Handler<'presence.set'> = async (ctx, p) => {
  ctx.presence.setStatus(p.status);
  return { status: p.status };
};
