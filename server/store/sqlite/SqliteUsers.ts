/**
 * Users and shops on the server's SQLite database: seeding, the upsert every auth makes, and lookup.
 * Who is an agent of which shop decides who receives that shop's conversations, so a change to it
 * is reported (`staffChanged`) to whoever caches recipients.
 */
import type Database from 'better-sqlite3';
import type { Role } from '../../../schema';
import type { Identity } from '../../auth/tokens';
import type { Store, UserRecord } from '../Store';
import type { Write } from './ports';
import type { Sql } from './statements';

export class SqliteUsers implements Pick<Store, 'upsertUser' | 'users'> {
  constructor(
    private readonly db: Database.Database,
    private readonly sql: Sql,
    private readonly write: Write,
    private readonly now: () => number,
    /** A user was added or changed role or shop: recipients computed before may be wrong. */
    private readonly staffChanged: () => void,
  ) {}

  /** Seed shops and users if absent (idempotent). */
  seed(shops: { id: string; name: string }[], users: Identity[]): void {
    this.db.transaction(() => {
      const shop = this.sql('INSERT OR IGNORE INTO shops (id, name) VALUES (?, ?)');
      for (const s of shops) shop.run(s.id, s.name);
      for (const u of users) this.upsertUserSync(u);
    }).immediate();
  }

  private upsertUserSync(u: Identity): void {
    const before = this.sql('SELECT role, shop_id FROM users WHERE id = ?').get(u.userId) as
      | { role: Role; shop_id: string | null }
      | undefined;
    this.sql(
        `INSERT INTO users (id, role, shop_id, display_name, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET role = excluded.role, shop_id = excluded.shop_id, display_name = excluded.display_name`,
      )
      .run(u.userId, u.role, u.shopId, u.displayName, this.now());
    if (u.shopId) this.sql('INSERT OR IGNORE INTO shops (id, name) VALUES (?, ?)').run(u.shopId, u.shopId);
    // A new agent, or one who changed shop, changes who receives that shop's conversations.
    if (!before || before.role !== u.role || before.shop_id !== u.shopId) this.staffChanged();
  }

  upsertUser(u: Identity): Promise<void> {
    // Every auth upserts its user; most change nothing, and need no commit (an fsync) to say so.
    const known = this.sql('SELECT role, shop_id, display_name FROM users WHERE id = ?').get(u.userId) as
      | { role: Role; shop_id: string | null; display_name: string }
      | undefined;
    if (known && known.role === u.role && known.shop_id === u.shopId && known.display_name === u.displayName) return Promise.resolve();
    return this.write(() => this.upsertUserSync(u));
  }

  async users(ids: readonly string[]): Promise<Map<string, UserRecord>> {
    const stmt = this.sql('SELECT id, role, shop_id, display_name FROM users WHERE id = ?');
    const found = new Map<string, UserRecord>();
    for (const id of ids) {
      const r = stmt.get(id) as { id: string; role: Role; shop_id: string | null; display_name: string } | undefined;
      if (r) found.set(id, { id: r.id, role: r.role, shopId: r.shop_id, displayName: r.display_name });
    }
    return found;
  }
}
