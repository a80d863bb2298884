/** The demo shop and users every fresh development database starts with. */
import type { Identity } from './auth/tokens';

export const DEMO_SHOP = { id: 'parley-shop', name: 'Parley Shop' };

export const DEMO_USERS: readonly Identity[] = [
  { userId: 'alice', role: 'customer', shopId: null, displayName: 'Alice' },
  { userId: 'bob', role: 'customer', shopId: null, displayName: 'Bob' },
  { userId: 'shop-agent', role: 'merchant', shopId: DEMO_SHOP.id, displayName: 'Shop Agent' },
  { userId: 'shop-agent-2', role: 'merchant', shopId: DEMO_SHOP.id, displayName: 'Second Agent' },
  { userId: 'supplier', role: 'supplier', shopId: null, displayName: 'Supplier' },
  { userId: 'distributor', role: 'distributor', shopId: null, displayName: 'Distributor' },
];
