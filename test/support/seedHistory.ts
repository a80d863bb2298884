/**
 * A shop with years of history, written straight into the server's store: customers' direct
 * conversations with the shop, messages from both sides, some read by either side.
 */
import { randomUUID } from 'node:crypto';
import type { Identity } from '../../server/auth/tokens';
import type { Store } from '../../server/store/Store';

export const SEEDED_SHOP = 'parley-shop';
export const SHOP_AGENT: Identity = { userId: 'shop-agent', role: 'merchant', shopId: SEEDED_SHOP, displayName: 'Shop Agent' };

/** The conversations' ids, in creation order. Message i (1-based) of conversation c reads `c<c> m<i>`; every third is the agent's. */
export async function seedShopHistory(store: Store, conversations: number, perConversation: number): Promise<string[]> {
  const ids: string[] = [];
  for (let c = 0; c < conversations; c++) {
    const customer: Identity = { userId: `cust-${String(c).padStart(2, '0')}`, role: 'customer', shopId: null, displayName: `Customer ${c}` };
    await store.upsertUser(customer);
    const { conversation } = (await store.openDirect(customer, SEEDED_SHOP))!;
    ids.push(conversation.id);
    await store.sendBatch(
      Array.from({ length: perConversation }, (_, i) => ({
        sender: i % 3 === 0 ? SHOP_AGENT : customer,
        conversationId: conversation.id,
        clientId: randomUUID(),
        content: { type: 'text' as const, text: `c${c} m${i + 1}` },
      })),
    );
    if (c % 2 === 0) await store.receipt(customer.userId, conversation.id, 'read', Math.floor(perConversation * 0.9));
    if (c % 5 === 0) await store.receipt(SEEDED_SHOP, conversation.id, 'read', perConversation);
  }
  return ids;
}
