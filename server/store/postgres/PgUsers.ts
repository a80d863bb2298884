/**
 * Users and shops on PostgreSQL: seeding, the upsert every auth makes, and lookup. An auth that
 * changes nothing writes nothing. A merchant's auth tells the caller (`staffChanged`) to drop
 * cached recipients even when this node wrote nothing: the change may have been made on another.
 */
import type { Role } from '../../../schema';
import type { Identity } from '../../auth/tokens';
import type { Store, UserRecord } from '../Store';
import type { Query } from './PgConversations';
import type { PgWrite, Tx } from './PgGroupCommit';

interface UserRow {
  id: string;
  role: Role;
  shop_id: string | null;
  display_name: string;
}

export class PgUsers implements Pick<Store, 'upsertUser' | 'users'> {
  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
    private readonly now: () => number,
    private readonly staffChanged: () => void,
  ) {}

  /** Seed shops and users if absent (idempotent). */
  seed(shops: readonly { id: string; name: string }[], users: readonly Identity[]): Promise<void> {
    return this.write([], async (tx) => {
      if (shops.length > 0) {
        await tx.query('INSERT INTO shops (id, name) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING', [shops.map((s) => s.id), shops.map((s) => s.name)]);
      }
      for (const u of users) await this.upsert(tx, u);
    });
  }

  private async upsert(tx: Tx, u: Identity): Promise<void> {
    await tx.query(
      `INSERT INTO users (id, role, shop_id, display_name, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET role = excluded.role, shop_id = excluded.shop_id, display_name = excluded.display_name`,
      [u.userId, u.role, u.shopId, u.displayName, this.now()],
    );
    if (u.shopId) await tx.query('INSERT INTO shops (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [u.shopId]);
  }

  async upsertUser(u: Identity): Promise<void> {
    if (u.shopId) this.staffChanged();
    const [known] = await this.query<UserRow>('SELECT id, role, shop_id, display_name FROM users WHERE id = $1', [u.userId]);
    if (known && known.role === u.role && known.shop_id === u.shopId && known.display_name === u.displayName) return;
    await this.write([], (tx) => this.upsert(tx, u));
    this.staffChanged();
  }

  async users(ids: readonly string[]): Promise<Map<string, UserRecord>> {
    const rows = await this.query<UserRow>('SELECT id, role, shop_id, display_name FROM users WHERE id = ANY($1::text[])', [ids]);
    return new Map(rows.map((r) => [r.id, { id: r.id, role: r.role, shopId: r.shop_id, displayName: r.display_name }]));
  }
}
