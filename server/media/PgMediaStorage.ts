/**
 * MediaStorage in PostgreSQL, the store every node of a cluster already shares: an upload on one node
 * is served by any other, with no shared mount or object store to run. Bytes go in chunks of 256 KiB
 * (`media_chunks`), each written as it arrives, so a slow upload holds no transaction open; the
 * object row (`media_objects`) is marked complete only after the last chunk, and readers see only
 * complete objects: all or nothing, as the interface asks. A cut upload's chunks are deleted at
 * once; a crash's, at the next start (removeLeftovers), once they are old enough that no node can
 * still be writing them.
 *
 * For very large volumes an S3-compatible store behind the same interface is the better home; uploads
 * here are bounded by the upload limits (10 MB images, 5 MB voice).
 */
import { Readable } from 'node:stream';
import type pg from 'pg';
import { MEDIA_KEY, type MediaMeta, type MediaObject, type MediaStorage } from './MediaStorage';

const CHUNK = 256 * 1024;
/** An incomplete object older than this is a crash's leftover, not an upload in progress. */
const LEFTOVER_AGE_MS = 60 * 60 * 1000;

export class PgMediaStorage implements MediaStorage {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  async put(key: string, source: Uint8Array | AsyncIterable<Uint8Array>, meta: Pick<MediaMeta, 'mime'>): Promise<MediaMeta> {
    if (!MEDIA_KEY.test(key)) throw new Error(`invalid media key ${JSON.stringify(key)}`);
    await this.pool.query('INSERT INTO media_objects (key, mime, bytes, complete, created_at) VALUES ($1, $2, 0, false, $3)', [key, meta.mime, this.now()]);
    let bytes = 0;
    let n = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      await this.pool.query('INSERT INTO media_chunks (key, n, data) VALUES ($1, $2, $3)', [key, n++, Buffer.concat(pending)]);
      pending = [];
      pendingBytes = 0;
    };
    try {
      for await (const chunk of source instanceof Uint8Array ? [source] : source) {
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        pendingBytes += chunk.byteLength;
        bytes += chunk.byteLength;
        if (pendingBytes >= CHUNK) await flush();
      }
      await flush();
      await this.pool.query('UPDATE media_objects SET complete = true, bytes = $2 WHERE key = $1', [key, bytes]);
      return { mime: meta.mime, bytes };
    } catch (err) {
      await this.delete(key).catch(() => {});
      throw err;
    }
  }

  async head(key: string): Promise<MediaMeta | null> {
    if (!MEDIA_KEY.test(key)) return null;
    const { rows } = await this.pool.query<{ mime: string; bytes: number }>('SELECT mime, bytes FROM media_objects WHERE key = $1 AND complete', [key]);
    return rows[0] ? { mime: rows[0].mime, bytes: Number(rows[0].bytes) } : null;
  }

  async get(key: string): Promise<MediaObject | null> {
    const meta = await this.head(key);
    if (!meta) return null;
    const pool = this.pool;
    // One chunk in memory at a time, read as the response drains.
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let n = 0; ; n++) {
        const { rows } = await pool.query<{ data: Buffer }>('SELECT data FROM media_chunks WHERE key = $1 AND n = $2', [key, n]);
        if (!rows[0]) return;
        yield rows[0].data;
      }
    }
    return { meta, body: Readable.from(chunks()) };
  }

  async delete(key: string): Promise<void> {
    if (!MEDIA_KEY.test(key)) return;
    await this.pool.query('WITH gone AS (DELETE FROM media_chunks WHERE key = $1) DELETE FROM media_objects WHERE key = $1', [key]);
  }

  async removeLeftovers(): Promise<number> {
    const { rows } = await this.pool.query<{ key: string }>('SELECT key FROM media_objects WHERE NOT complete AND created_at < $1', [this.now() - LEFTOVER_AGE_MS]);
    for (const r of rows) await this.delete(r.key);
    return rows.length;
  }
}
