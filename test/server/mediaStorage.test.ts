/** What every MediaStorage must do, on the file system and in PostgreSQL (the cluster's shared store). */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsMediaStorage } from '../../server/media/FsMediaStorage';
import { newMediaKey, type MediaStorage } from '../../server/media/MediaStorage';
import { PgMediaStorage } from '../../server/media/PgMediaStorage';
import { PgStore } from '../../server/store/postgres/PgStore';
import { databaseUrl, dropSchema, freshSchema } from '../support/services';

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function* pieces(total: number, size: number, failAt?: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < total; at += size) {
    if (failAt !== undefined && at >= failAt) throw new Error('client went away');
    yield Buffer.alloc(Math.min(size, total - at), at % 251);
  }
}

function storageContract(name: string, open: () => Promise<{ storage: MediaStorage; close(): Promise<void> }>) {
  describe(`MediaStorage: ${name}`, () => {
    let s: { storage: MediaStorage; close(): Promise<void> };
    beforeEach(async () => {
      s = await open();
    });
    afterEach(() => s.close());

    it('stores bytes in pieces and gives them back whole, with their meta', async () => {
      const key = newMediaKey();
      const expected = await readAll(pieces(700_000, 65_536));
      expect(await s.storage.put(key, pieces(700_000, 65_536), { mime: 'image/png' })).toEqual({ mime: 'image/png', bytes: 700_000 });
      expect(await s.storage.head(key)).toEqual({ mime: 'image/png', bytes: 700_000 });
      const obj = await s.storage.get(key);
      expect((await readAll(obj!.body)).equals(expected)).toBe(true);
    });

    it('keeps nothing of an upload whose source fails midway', async () => {
      const key = newMediaKey();
      await expect(s.storage.put(key, pieces(700_000, 65_536, 400_000), { mime: 'image/png' })).rejects.toThrow('client went away');
      expect(await s.storage.head(key)).toBeNull();
      expect(await s.storage.get(key)).toBeNull();
      expect(await s.storage.removeLeftovers?.()).toBe(0);
    });

    it('deletes, and treats absent or malformed keys as absent', async () => {
      const key = newMediaKey();
      await s.storage.put(key, new Uint8Array([1, 2, 3]), { mime: 'audio/webm' });
      await s.storage.delete(key);
      expect(await s.storage.get(key)).toBeNull();
      await s.storage.delete(newMediaKey());
      expect(await s.storage.head('../../etc/passwd')).toBeNull();
    });
  });
}

storageContract('file system', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-media-'));
  return { storage: new FsMediaStorage(dir), close: () => fs.rm(dir, { recursive: true, force: true }) };
});

const url = databaseUrl;
if (url) {
  storageContract('PostgreSQL', async () => {
    const schema = freshSchema();
    // The store runs the migrations that make the media tables.
    const store = await PgStore.open({ url, schema, now: Date.now, poolSize: 2 });
    await store.close();
    const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
    return {
      storage: new PgMediaStorage(pool),
      close: async () => {
        await pool.end();
        await dropSchema(schema);
      },
    };
  });
}
