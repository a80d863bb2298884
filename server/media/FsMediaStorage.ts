/**
 * MediaStorage on the local file system: `<root>/<key[0..2]>/<key>` plus a `<key>.json` sidecar
 * with the meta. Writes go to a temp file that is renamed into place, so a crash or a cut upload
 * never leaves a half file under a real key; a cut upload's temp file is removed at once, and a
 * crash's at the next start (removeLeftovers).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MEDIA_KEY, type MediaMeta, type MediaObject, type MediaStorage } from './MediaStorage';

const TMP_SUFFIX = '.tmp';

export class FsMediaStorage implements MediaStorage {
  constructor(private readonly root: string) {}

  private file(key: string): string {
    // The key check is the path-traversal guard: only 32 hex characters ever reach path.join.
    if (!MEDIA_KEY.test(key)) throw new Error(`invalid media key ${JSON.stringify(key)}`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  async put(key: string, source: Uint8Array | AsyncIterable<Uint8Array>, meta: Pick<MediaMeta, 'mime'>): Promise<MediaMeta> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`;
    // The file is opened before any byte is read, and closed before it is removed: a stream that
    // opens its file lazily could create it after a failed upload's cleanup ran, and leave it.
    const handle = await fs.open(tmp, 'wx');
    let bytes = 0;
    try {
      try {
        for await (const chunk of source instanceof Uint8Array ? [source] : source) {
          await handle.write(chunk);
          bytes += chunk.length;
        }
      } finally {
        await handle.close();
      }
      const full: MediaMeta = { mime: meta.mime, bytes };
      // Sidecar first: a data file is only visible once its meta exists.
      await fs.writeFile(`${tmp}.json`, JSON.stringify(full));
      await fs.rename(`${tmp}.json`, `${file}.json`);
      await fs.rename(tmp, file);
      return full;
    } catch (err) {
      await Promise.all([fs.rm(tmp, { force: true }), fs.rm(`${tmp}.json`, { force: true })]);
      throw err;
    }
  }

  /**
   * Remove what writes cut short by a crash left behind (temp files never renamed into place).
   * Call at start, before any upload. Resolves with how many files went.
   */
  async removeLeftovers(): Promise<number> {
    let removed = 0;
    const dirs = await fs.readdir(this.root, { withFileTypes: true }).catch(() => []);
    for (const d of dirs) {
      if (!d.isDirectory() || !/^[0-9a-f]{2}$/.test(d.name)) continue;
      for (const name of await fs.readdir(path.join(this.root, d.name))) {
        if (!name.endsWith(TMP_SUFFIX) && !name.endsWith(`${TMP_SUFFIX}.json`)) continue;
        await fs.rm(path.join(this.root, d.name, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  async head(key: string): Promise<MediaMeta | null> {
    if (!MEDIA_KEY.test(key)) return null;
    try {
      await fs.access(this.file(key));
      return JSON.parse(await fs.readFile(`${this.file(key)}.json`, 'utf8')) as MediaMeta;
    } catch {
      return null;
    }
  }

  async get(key: string): Promise<MediaObject | null> {
    const meta = await this.head(key);
    if (!meta) return null;
    const handle = await fs.open(this.file(key), 'r').catch(() => null);
    return handle ? { meta, body: handle.createReadStream() } : null;
  }

  async delete(key: string): Promise<void> {
    if (!MEDIA_KEY.test(key)) return;
    await fs.rm(this.file(key), { force: true });
    await fs.rm(`${this.file(key)}.json`, { force: true });
  }
}
