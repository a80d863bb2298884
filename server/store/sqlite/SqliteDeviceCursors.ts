/**
 * Each device's acked cursor on the server's SQLite database (table `device_cursors`). Acks arrive
 * for every burst of pushes; the record is only a fallback (a device names its own cursor, which
 * wins), so losing the last second of it in a crash costs a few repeated pushes. Acks are kept in
 * memory and written together once a second, not each in a commit and an fsync.
 */
import type Database from 'better-sqlite3';
import type { GroupCommit } from './GroupCommit';

/** How long acked cursors wait to be written together. */
const SAVE_MS = 1000;

export class SqliteDeviceCursors {
  /** Acked cursors not written yet, by user and device. */
  private readonly unsaved = new Map<string, { userId: string; deviceId: string; cursor: number }>();
  private timer: NodeJS.Timeout | null = null;
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
    return Math.max(stored, this.unsaved.get(`${userId}\n${deviceId}`)?.cursor ?? 0);
  }

  /** Record an ack; never lowers the cursor. Written within SAVE_MS. */
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

  /** Queue what waits for the next group commit now (the store's close flushes the group commit). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    void this.save();
  }

  private save(): Promise<void> {
    this.timer = null;
    const batch = [...this.unsaved.values()];
    this.unsaved.clear();
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
