/**
 * The member rows a user speaks through, in SQLite's positional parameters: their own (kind 'user')
 * and, for a merchant, their shop's (kind 'shop'). Matched by kind and id together: a user id may
 * equal some shop's id. Binds the user id, then the shop id (NULL matches nothing). `t` qualifies
 * the columns (e.g. 'm.').
 */
import type { Identity } from '../../auth/tokens';

export const asParty = (t = ''): string => `((${t}kind = 'user' AND ${t}member_id = ?) OR (${t}kind = 'shop' AND ${t}member_id = ?))`;
export const partyParams = (user: Identity): [string, string | null] => [user.userId, user.shopId];
