/** MediaIndex on PostgreSQL (table `media`): who may read which uploaded file, shared by every node. */
import { toMediaRecord, type MediaRow } from '../rows';
import type { MediaIndex, MediaRecord } from '../Store';
import type { Query } from './PgConversations';
import type { PgWrite } from './PgGroupCommit';

export class PgMediaIndex implements MediaIndex {
  constructor(
    private readonly query: Query,
    private readonly write: PgWrite,
  ) {}

  record(rec: MediaRecord): Promise<{ record: MediaRecord; created: boolean }> {
    return this.write([], async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO media (key, conversation_id, owner_id, kind, mime, bytes, upload_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING key`,
        [rec.key, rec.conversationId, rec.ownerId, rec.kind, rec.mime, rec.bytes, rec.uploadId, rec.createdAt],
      );
      if (inserted.length === 1 || rec.uploadId === null) return { record: rec, created: inserted.length === 1 };
      const [earlier] = await tx.query<MediaRow>('SELECT * FROM media WHERE owner_id = $1 AND upload_id = $2', [rec.ownerId, rec.uploadId]);
      return { record: toMediaRecord(earlier!), created: false };
    });
  }

  async get(key: string): Promise<MediaRecord | null> {
    const [row] = await this.query<MediaRow>('SELECT * FROM media WHERE key = $1', [key]);
    return row ? toMediaRecord(row) : null;
  }

  async byUpload(ownerId: string, uploadId: string): Promise<MediaRecord | null> {
    const [row] = await this.query<MediaRow>('SELECT * FROM media WHERE owner_id = $1 AND upload_id = $2', [ownerId, uploadId]);
    return row ? toMediaRecord(row) : null;
  }

  async bytesOwnedBy(ownerId: string): Promise<number> {
    const [row] = await this.query<{ n: number }>('SELECT COALESCE(SUM(bytes), 0)::bigint AS n FROM media WHERE owner_id = $1', [ownerId]);
    return row!.n;
  }
}
