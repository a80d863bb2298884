/** MediaIndex on the server's SQLite database (table `media`, migration 2). */
import type Database from 'better-sqlite3';
import { toMediaRecord, type MediaRow } from '../rows';
import type { MediaIndex, MediaRecord } from '../Store';
import type { GroupCommit } from './GroupCommit';

export class SqliteMediaIndex implements MediaIndex {
  private readonly insert: Database.Statement;
  private readonly byKey: Database.Statement;
  private readonly byUploadStmt: Database.Statement;
  private readonly ownedStmt: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly writes: GroupCommit,
  ) {
    this.insert = db.prepare(
      `INSERT INTO media (key, conversation_id, owner_id, kind, mime, bytes, upload_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.byKey = db.prepare('SELECT * FROM media WHERE key = ?');
    this.byUploadStmt = db.prepare('SELECT * FROM media WHERE owner_id = ? AND upload_id = ?');
    this.ownedStmt = db.prepare('SELECT COALESCE(SUM(bytes), 0) FROM media WHERE owner_id = ?').pluck();
  }

  async record(rec: MediaRecord): Promise<{ record: MediaRecord; created: boolean }> {
    return this.writes.run(() => {
      const r = rec;
      const changes = this.insert.run(r.key, r.conversationId, r.ownerId, r.kind, r.mime, r.bytes, r.uploadId, r.createdAt).changes;
      if (changes === 1 || r.uploadId === null) return { record: rec, created: changes === 1 };
      const earlier = this.byUploadStmt.get(r.ownerId, r.uploadId) as MediaRow;
      return { record: toMediaRecord(earlier), created: false };
    });
  }

  async get(key: string): Promise<MediaRecord | null> {
    const row = this.byKey.get(key) as MediaRow | undefined;
    return row ? toMediaRecord(row) : null;
  }

  async byUpload(ownerId: string, uploadId: string): Promise<MediaRecord | null> {
    const row = this.byUploadStmt.get(ownerId, uploadId) as MediaRow | undefined;
    return row ? toMediaRecord(row) : null;
  }

  async bytesOwnedBy(ownerId: string): Promise<number> {
    return this.ownedStmt.get(ownerId) as number;
  }
}
