/**
 * Each device's acked cursor on PostgreSQL (table `device_cursors`): a fallback only (a device names
 * its own cursor), so acks are kept in memory and written together once a second, in key order (two
 * nodes' batches then never wait on each other in a cycle), never lowering a stored one.
 */
import type { Query } from './PgConversations';
import type { PgWrite } from './PgGroupCommit';

const SAVE_MS = 1000;

export class PgDeviceCursors {
  private readonly unsaved = new Map<string, { userId: string; deviceId: string; cursor: number }>();
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
    private readonly now: () => number,
  ) {}

  async get(userId: string, deviceId: string): Promise<number> {
    const [row] = await this.query<{ acked_cursor: number }>('SELECT acked_cursor FROM device_cursors WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
    return Math.max(row?.acked_cursor ?? 0, this.unsaved.get(`${userId}\n${deviceId}`)?.cursor ?? 0);
  }

  set(userId: string, deviceId: string, cursor: number): void {
    const key = `${userId}\n${deviceId}`;
    const prior = this.unsaved.get(key);
    if (prior && prior.cursor >= cursor) return;
    this.unsaved.set(key, { userId, deviceId, cursor });
    if (this.timer === null) {
      this.timer = setTimeout(() => void this.save(), SAVE_MS);
      this.timer.unref();
    }
  }

  /** Write what waits now; resolves when it is written (or failed: the devices keep their own). */
  close(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    return this.save();
  }

  private save(): Promise<void> {
    this.timer = null;
    const batch = [...this.unsaved.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
    this.unsaved.clear();
    if (batch.length === 0) return this.saving;
    this.saving = this.saving.then(() =>
      this.write([], async (tx) => {
        await tx.query(
          `INSERT INTO device_cursors (user_id, device_id, acked_cursor, updated_at)
           SELECT u, d, c, $4 FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(u, d, c)
           ON CONFLICT (user_id, device_id) DO UPDATE SET acked_cursor = GREATEST(device_cursors.acked_cursor, excluded.acked_cursor), updated_at = excluded.updated_at`,
          [batch.map((c) => c.userId), batch.map((c) => c.deviceId), batch.map((c) => c.cursor), this.now()],
        );
      }).catch(() => {}),
    );
    return this.saving;
  }
}
