/**
 * Each device's acked cursor on PostgreSQL (table `device_cursors`): acks wait in memory and are
 * written together (PendingAcks), in key order, never lowering a stored one.
 */
import { PendingAcks } from '../PendingAcks';
import type { Query } from './PgConversations';
import type { PgWrite } from './PgGroupCommit';

export class PgDeviceCursors {
  private readonly pending = new PendingAcks(() => void this.save());
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
    private readonly now: () => number,
  ) {}

  async get(userId: string, deviceId: string): Promise<number> {
    const [row] = await this.query<{ acked_cursor: number }>('SELECT acked_cursor FROM device_cursors WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
    return Math.max(row?.acked_cursor ?? 0, this.pending.waiting(userId, deviceId));
  }

  set(userId: string, deviceId: string, cursor: number): void {
    this.pending.set(userId, deviceId, cursor);
  }

  /** Write what waits now; resolves when it is written (or failed: the devices keep their own). */
  close(): Promise<void> {
    return this.save();
  }

  private save(): Promise<void> {
    const batch = this.pending.take();
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
