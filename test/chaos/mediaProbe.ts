/**
 * Media shared by every node, under the cluster's faults. At each fault episode one upload goes to
 * the next node that is up (during a database restart, a Redis restart, a pause of another node);
 * once the run is quiet every upload the server accepted is fetched from every node and compared
 * byte for byte. An accepted upload that some node cannot serve, or serves changed, is unreadable.
 *
 * Each upload is a small PNG followed by its own bytes (600 KiB: three of the PostgreSQL store's
 * chunks), so one node serving another's upload, or a chunk of another upload, shows.
 */
import { createHash, randomBytes } from 'node:crypto';
import { makeToken, TEST_SECRET } from '../support/server';
import type { UserSpec } from './device';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const SIZE = 600 * 1024;
/** Bound on one upload or fetch: a node that is down or paused answers nothing. */
const REQUEST_MS = 10_000;

export interface MediaProbeTarget {
  conversationId: string;
  /** A member who uploads (a customer). */
  uploader: UserSpec;
  /** Another member who reads (an agent of the shop). */
  reader: UserSpec;
}

interface Accepted {
  /** Path and query of the URL the upload answered with. */
  path: string;
  node: number;
  sha256: string;
}

export class MediaProbe {
  /** Uploads tried, and answered 201. */
  tried = 0;
  private readonly accepted: Accepted[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly target: MediaProbeTarget) {}

  get acceptedCount(): number {
    return this.accepted.length;
  }

  /** Upload to the node at `url` (index `node`) in the background; an upload refused or cut is not counted as accepted. */
  upload(url: string, node: number): void {
    this.tried++;
    const body = Buffer.concat([PNG, randomBytes(SIZE)]);
    const { conversationId, uploader } = this.target;
    const token = makeToken(TEST_SECRET, uploader.id, { role: uploader.role });
    const done = (async () => {
      const res = await fetch(`${url}/media?${new URLSearchParams({ conversationId, kind: 'image' })}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
        body,
        signal: AbortSignal.timeout(REQUEST_MS),
      });
      if (res.status !== 201) return;
      const answered = new URL(((await res.json()) as { url: string }).url, url);
      this.accepted.push({ path: `${answered.pathname}${answered.search}`, node, sha256: sha256(body) });
    })().catch(() => {});
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Every accepted upload fetched from every node: what some node could not serve as uploaded. */
  async unreadable(nodeUrls: readonly string[]): Promise<string[]> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    const { reader } = this.target;
    const token = makeToken(TEST_SECRET, reader.id, { role: reader.role, ...(reader.shop ? { shop: reader.shop } : {}) });
    const found: string[] = [];
    for (const a of this.accepted) {
      for (const [i, base] of nodeUrls.entries()) {
        const what = `upload to node ${a.node} (${a.path.split('?')[0]}) from node ${i}`;
        try {
          const res = await fetch(`${base}${a.path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(REQUEST_MS) });
          if (res.status !== 200) found.push(`${what}: status ${res.status}`);
          else if (sha256(Buffer.from(await res.arrayBuffer())) !== a.sha256) found.push(`${what}: different bytes`);
        } catch (err) {
          found.push(`${what}: ${String(err)}`);
        }
      }
    }
    return found;
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
