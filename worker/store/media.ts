/**
 * The files of own media messages, stored with the message until the server has them. Upload
 * progress is kept per file (its url), so a reload after one of two uploads redoes only the other.
 */
import { ErrorCode, ParleyError, type Content } from '../../schema';
import type { NewUpload } from '../media/draft';
import { resolveRefs } from '../media/refs';
import type { LocalFile, PendingUpload, UploadKind } from '../media/types';
import { first, type StoreContext } from './rows';
import type { SqlExecutor } from './SqlDriver';

interface UploadRow {
  upload_id: string;
  message_id: string;
  kind: UploadKind;
  mime: string;
  size: number;
  url: string | null;
}

const toPending = (r: UploadRow): PendingUpload => ({
  uploadId: r.upload_id,
  messageId: r.message_id,
  kind: r.kind,
  mime: r.mime,
  size: r.size,
  url: r.url,
});

/** Part of enqueue's transaction: the files go in with the message or not at all. */
export async function insertUploads(tx: SqlExecutor, messageId: string, uploads: readonly NewUpload[]): Promise<void> {
  for (const u of uploads) {
    await tx.run('INSERT INTO media_uploads (upload_id, message_id, kind, mime, size, bytes) VALUES (?, ?, ?, ?, ?, ?)', [
      u.uploadId,
      messageId,
      u.kind,
      u.mime,
      u.bytes.byteLength,
      u.bytes,
    ]);
  }
}

/** A message's files (without their bytes), in the order they were stored. */
export async function uploadsOf(db: SqlExecutor, messageId: string): Promise<PendingUpload[]> {
  const rows = await db.all<UploadRow>(
    'SELECT upload_id, message_id, kind, mime, size, url FROM media_uploads WHERE message_id = ? ORDER BY rowid',
    [messageId],
  );
  return rows.map(toPending);
}

/** One stored file's bytes and type, or null once it is gone (sent or deleted). */
export async function localFile(db: SqlExecutor, uploadId: string): Promise<LocalFile | null> {
  const row = await first<{ bytes: Uint8Array; mime: string }>(db, 'SELECT bytes, mime FROM media_uploads WHERE upload_id = ?', [
    uploadId.toLowerCase(),
  ]);
  return row ? { bytes: new Uint8Array(row.bytes), mime: row.mime } : null;
}

/** The server holds this file at `url`. False if the row is gone (its message was deleted meanwhile). */
export async function setUploadUrl(tx: SqlExecutor, uploadId: string, url: string): Promise<boolean> {
  return (await tx.run('UPDATE media_uploads SET url = ? WHERE upload_id = ?', [url, uploadId])).changes > 0;
}

/**
 * Every file of the message is uploaded: its content takes the server's URLs in place of the local
 * refs, and that is what will be sent. Returns the new content. NOT_FOUND if the message is gone,
 * CONFLICT if a file has no URL yet.
 */
export async function finishUploads(tx: SqlExecutor, ctx: StoreContext, messageId: string): Promise<Content> {
  const row = await first<{ content: string }>(tx, "SELECT content FROM messages WHERE sender_id = ? AND id = ? AND seq IS NULL", [
    ctx.userId,
    messageId,
  ]);
  if (!row) throw new ParleyError(ErrorCode.NOT_FOUND, `no unsent own message ${messageId}`);
  const urls = new Map<string, string>();
  for (const u of await uploadsOf(tx, messageId)) {
    if (u.url === null) throw new ParleyError(ErrorCode.CONFLICT, `file ${u.uploadId} of message ${messageId} is not uploaded`);
    urls.set(u.uploadId, u.url);
  }
  let content: Content;
  try {
    content = resolveRefs(JSON.parse(row.content) as Content, urls);
  } catch (err) {
    throw new ParleyError(ErrorCode.CONFLICT, (err as Error).message);
  }
  // Media content has no search text, before or after: the FTS index is not touched.
  await tx.run('UPDATE messages SET content = ? WHERE sender_id = ? AND id = ?', [JSON.stringify(content), ctx.userId, messageId]);
  return content;
}

/** The message was sent or deleted: its local copies go (the server's URLs serve from now on). */
export async function dropUploads(tx: SqlExecutor, messageId: string): Promise<void> {
  await tx.run('DELETE FROM media_uploads WHERE message_id = ?', [messageId]);
}
