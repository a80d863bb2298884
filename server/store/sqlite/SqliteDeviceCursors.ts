/**
 * Each device's acked cursor on the server's SQLite database (table `device_cursors`): acks wait in
 * memory and are written together (PendingAcks) in the next group commit, not each in a commit and
 * an fsync.
 */
import type Database from 'better-sqlite3';
import { PendingAcks } from '../PendingAcks';
import type { GroupCommit } from './GroupCommit';

export class SqliteDeviceCursors {
  private readonly pending = new PendingAcks(() => void this.save());
  private readonly select: Database.Statement;
  private readonly upsert: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly writes: GroupCommit,
    private readonly now: () => number,
  ) {
    this.select = db.prepare('SELECT acked_cursor FROM device_cursors WHERE user_id = ? AND device_id = ?').pluck();
    this.upsert = db.prepare(
      `INSERT INTO device_cursors (user_id, device_id, acked_cursor, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET acked_cursor = MAX(acked_cursor, excluded.acked_cursor), updated_at = excluded.updated_at`,
    );
  }

  /** The highest cursor the device acked, written or not; 0 for a device never seen. */
  get(userId: string, deviceId: string): number {
    const stored = (this.select.get(userId, deviceId) as number | undefined) ?? 0;
    return Math.max(stored, this.pending.waiting(userId, deviceId));
  }

  /** Record an ack; never lowers the cursor. Written within a second. */
  set(userId: string, deviceId: string, cursor: number): void {
    this.pending.set(userId, deviceId, cursor);
  }

  /** Queue what waits for the next group commit now (the store's close flushes the group commit). */
  close(): void {
    void this.save();
  }

  private save(): Promise<void> {
    const batch = this.pending.take();
    if (batch.length === 0) return Promise.resolve();
    return this.writes
      .run(() => {
        const now = this.now();
        for (const c of batch) this.upsert.run(c.userId, c.deviceId, c.cursor, now);
      })
      .catch(() => {
        // A failed commit (disk full) loses only the fallback record; the devices keep their own.
      });
  }
}
