/**
 * The member rows a user speaks through, in PostgreSQL's numbered parameters: their own (kind
 * 'user') and, for a merchant, their shop's (kind 'shop'). Matched by kind and id together: a user
 * id may equal some shop's id. `user` and `shop` are the parameter numbers bound to the user id and
 * the shop id (NULL matches nothing); `t` qualifies the columns (e.g. 'm.').
 */
import type { Identity } from '../../auth/tokens';

export const asParty = (user: number, shop: number, t = ''): string =>
  `((${t}kind = 'user' AND ${t}member_id = $${user}) OR (${t}kind = 'shop' AND ${t}member_id = $${shop}))`;

export const partyParams = (user: Identity): [string, string | null] => [user.userId, user.shopId];
