/** Media over HTTP: upload, type sniffing, size limits, membership, signed URLs, idempotency. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationInfo } from '../../schema';
import { CLOCK_SKEW_S } from '../../server';
import { sniff } from '../../server/media/sniff';
import { metricValue, setupGroup, uid } from '../support/fixtures';
import { PgStore } from '../../server/store/postgres/PgStore';
import { onPostgres, startServer, TEST_SECRET, type TestServer } from '../support/server';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const ebml = (id: number[], data: number[]) => [...id, 0x80 | data.length, ...data];
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
/** An EBML header with DocType "webm", then the start of a Segment of unknown size. */
const WEBM = (() => {
  const header = [
    ...ebml([0x42, 0x86], [1]),
    ...ebml([0x42, 0xf7], [1]),
    ...ebml([0x42, 0xf2], [4]),
    ...ebml([0x42, 0xf3], [8]),
    ...ebml([0x42, 0x82], ascii('webm')),
    ...ebml([0x42, 0x87], [4]),
    ...ebml([0x42, 0x85], [2]),
  ];
  return Buffer.from([...ebml([0x1a, 0x45, 0xdf, 0xa3], header), 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xec, 0x80]);
})();
/** The first Ogg page of an Opus stream: capture pattern, header fields, one segment, "OpusHead". */
const OGG = Buffer.concat([
  Buffer.from('OggS'),
  Buffer.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 19]),
  Buffer.from('OpusHead'),
  Buffer.from([1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]),
]);
const HTML_AS_PNG = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

const MAX_IMAGE = 256 * 1024;
let srv: TestServer;
let conv: ConversationInfo;
let memberToken: string;
let ownerToken: string;
let outsiderToken: string;

beforeAll(async () => {
  srv = await startServer({ maxImageBytes: MAX_IMAGE });
  const g = await setupGroup(srv, [{}]);
  conv = g.conversation;
  ownerToken = srv.token(g.owner.userId, { role: 'supplier' });
  memberToken = srv.token(g.members[0]!.userId);
  outsiderToken = srv.token(uid('out'));
});
afterAll(() => srv?.stop());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

function upload(body: Buffer, opts: { kind?: string; token?: string; uploadId?: string; conversationId?: string; type?: string } = {}) {
  const q = new URLSearchParams({ conversationId: opts.conversationId ?? conv.id, kind: opts.kind ?? 'image' });
  if (opts.uploadId) q.set('uploadId', opts.uploadId);
  return fetch(`${srv.url}/media?${q}`, {
    method: 'POST',
    headers: { ...auth(opts.token ?? memberToken), 'content-type': opts.type ?? 'image/png' },
    body: new Uint8Array(body),
  });
}

async function uploadOk(body: Buffer, opts: Parameters<typeof upload>[1] = {}) {
  const res = await upload(body, opts);
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as { url: string; mime: string; bytes: number };
}

/** What the server's media storage holds: files under the data dir, or complete objects and their chunks in PostgreSQL. */
async function mediaFiles(): Promise<string[]> {
  const store = srv.server.store;
  if (store instanceof PgStore) {
    // One entry per object, and one per chunk left without its object (what a cut upload could leave).
    const { rows } = await store.pool.query<{ key: string }>(
      `SELECT key FROM media_objects
       UNION ALL SELECT 'orphan:' || c.key FROM media_chunks c WHERE NOT EXISTS (SELECT 1 FROM media_objects o WHERE o.key = c.key)
       ORDER BY 1`,
    );
    return rows.map((r) => r.key);
  }
  const root = path.join(srv.dataDir, 'media');
  const dirs = await fs.readdir(root).catch(() => [] as string[]);
  const files = await Promise.all(dirs.map(async (d) => (await fs.readdir(path.join(root, d))).map((f) => `${d}/${f}`)));
  return files.flat().filter((f) => !f.endsWith('.json'));
}

/** A raw GET, so the client does not normalise the path first. */
function rawGet(p: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: srv.port, path: p, headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
}

describe('sniff', () => {
  it('knows the accepted formats by their bytes and nothing else', () => {
    expect(sniff(PNG)).toBe('image/png');
    expect(sniff(WEBM)).toBe('audio/webm');
    expect(sniff(OGG)).toBe('audio/ogg');
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniff(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toBe('image/gif');
    expect(sniff(Buffer.from('ID3\x04\x00', 'latin1'))).toBe('audio/mpeg');
    expect(sniff(Buffer.from('\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00', 'latin1'))).toBe('audio/mp4');
    expect(sniff(HTML_AS_PNG)).toBeNull();
    expect(sniff(SVG)).toBeNull();
    expect(sniff(Buffer.from('\x00\x00\x00\x18ftypheic', 'latin1'))).toBeNull();
    // A PNG signature followed by markup (a polyglot) is refused too.
    expect(sniff(Buffer.concat([PNG.subarray(0, 16), Buffer.from('<script>x</script>')]))).toBeNull();
  });
});

describe('POST /media and GET /media/<key>', () => {
  it('stores a PNG and serves it back byte-identical with safe headers', async () => {
    const { url, mime, bytes } = await uploadOk(PNG);
    expect(url).toMatch(/^\/media\/[0-9a-f]{32}$/);
    expect({ mime, bytes }).toEqual({ mime: 'image/png', bytes: PNG.length });
    const res = await fetch(`${srv.url}${url}`, { headers: auth(ownerToken) });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toBe('inline');
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  });

  it('refuses an HTML file labelled image/png, and an SVG (415)', async () => {
    const before = await mediaFiles();
    for (const [body, type] of [[HTML_AS_PNG, 'image/png'], [SVG, 'image/svg+xml']] as const) {
      const res = await upload(body, { type });
      expect(res.status).toBe(415);
    }
    expect(await mediaFiles()).toEqual(before);
  });

  it('refuses an image as voice and a voice file as image', async () => {
    expect((await upload(PNG, { kind: 'voice' })).status).toBe(415);
    expect((await upload(WEBM, { kind: 'image' })).status).toBe(415);
  });

  it('accepts WebM and Ogg Opus voice messages', async () => {
    expect(await uploadOk(WEBM, { kind: 'voice', type: 'audio/webm' })).toMatchObject({ mime: 'audio/webm', bytes: WEBM.length });
    expect(await uploadOk(OGG, { kind: 'voice', type: 'audio/ogg' })).toMatchObject({ mime: 'audio/ogg' });
  });

  it('answers 413 to an oversize stream while it is still being sent, and keeps nothing', async () => {
    const before = await mediaFiles();
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 1);
    PNG.copy(chunk);
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: srv.port,
        method: 'POST',
        path: `/media?conversationId=${conv.id}&kind=image`,
        headers: { ...auth(memberToken), 'content-type': 'image/png' }, // chunked: no length to pre-check
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', (err) => (answered ? undefined : reject(err)));
      const pump = () => {
        while (!answered && written < total) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    // The server stopped reading near the limit; socket buffers hold a few MiB at most.
    expect(written).toBeLessThan(total / 4);
    expect(await mediaFiles()).toEqual(before);
  });

  it('keeps no temporary file of uploads cut off just before their end', async () => {
    const before = await mediaFiles();
    const aborted = async () => metricValue(await (await fetch(`${srv.url}/metrics`)).text(), 'parley_media_uploads_total', 'result="aborted"') ?? 0;
    const abortedBefore = await aborted();
    const size = MAX_IMAGE - 1024;
    const body = Buffer.alloc(size, 7);
    PNG.copy(body);
    const cutOff = () =>
      new Promise<void>((resolve) => {
        const req = http.request({
          host: '127.0.0.1',
          port: srv.port,
          method: 'POST',
          path: `/media?conversationId=${conv.id}&kind=image`,
          headers: { ...auth(memberToken), 'content-type': 'image/png', 'content-length': String(size) },
        });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        // All but the last bytes, then a reset.
        req.write(body.subarray(0, size - 16), () => setImmediate(() => req.destroy()));
      });
    await Promise.all(Array.from({ length: 6 }, cutOff));
    // The server noticed each cut (bounded wait on its own count), and kept nothing of any.
    const deadline = Date.now() + 5000;
    while ((await aborted()) < abortedBefore + 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await aborted()).toBe(abortedBefore + 6);
    expect(await mediaFiles()).toEqual(before);
  });

  // Files under the data dir; the PostgreSQL storage's leftovers are in mediaStorage.test.ts.
  it.skipIf(onPostgres)('removes at start what uploads cut short by a crash left', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-media-'));
    const stray = path.join(dataDir, 'media', 'ab', 'abababababababababababababababab.3f2a1c9e8d7b.tmp');
    await fs.mkdir(path.dirname(stray), { recursive: true });
    await fs.writeFile(stray, 'half a file');
    await fs.writeFile(`${stray}.json`, '{}');
    const kept = path.join(dataDir, 'media', 'ab', 'abababababababababababababababab');
    await fs.writeFile(kept, 'a stored file');
    const fresh = await startServer({ dataDir });
    try {
      expect((await fs.readdir(path.dirname(stray))).sort()).toEqual(['abababababababababababababababab']);
    } finally {
      await fresh.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an upload whose declared length is over the limit before reading it', async () => {
    const res = await upload(Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE)]));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('lets only members upload (403) and fetch (403)', async () => {
    const res = await upload(PNG, { token: outsiderToken });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await upload(PNG, { conversationId: uid('nope') })).status).toBe(403);
    const { url } = await uploadOk(PNG);
    expect((await fetch(`${srv.url}${url}`, { headers: auth(outsiderToken) })).status).toBe(403);
    expect((await fetch(`${srv.url}${url}`)).status).toBe(401);
  });

  it('answers 401 with the code to a bad or expired token', async () => {
    // Past the tolerance for the issuer's clock, too.
    const expired = srv.token(uid('x'), { exp: Math.floor(Date.now() / 1000) - CLOCK_SKEW_S - 10 });
    const forged = srv.token(uid('x'), { secret: 'not-the-server-secret-0123456789' });
    for (const [token, code] of [[expired, 'TOKEN_EXPIRED'], [forged, 'TOKEN_INVALID'], ['garbage', 'TOKEN_INVALID']]) {
      const res = await upload(PNG, { token });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code });
    }
    const { url } = await uploadOk(PNG);
    const res = await fetch(`${srv.url}${url}`, { headers: auth(expired) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('answers 404 to path tricks in the key', async () => {
    const { url } = await uploadOk(PNG);
    const key = url.slice('/media/'.length);
    const h = auth(memberToken);
    for (const p of [
      '/media/../parley.db',
      '/media/..%2Fparley.db',
      '/media/%2e%2e%2fparley.db',
      `/media/${key.slice(0, 2)}%2F${key}`,
      `/media/${key}.json`,
      `/media/${key.toUpperCase()}`,
      `/media/${key}/`,
      '/media/',
    ]) {
      expect(await rawGet(p, h), p).toBe(404);
    }
  });

  it('turns a repeated uploadId into the first upload: one file, one url', async () => {
    const uploadId = randomUUID();
    const before = (await mediaFiles()).length;
    const first = await upload(PNG, { uploadId });
    const second = await upload(PNG, { uploadId });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect((await second.json()).url).toBe((await first.json()).url);
    expect((await mediaFiles()).length).toBe(before + 1);
    // Reused for a conversation the caller is not in, it is refused, never answered with the old file.
    expect((await upload(PNG, { uploadId, conversationId: uid('c') })).status).toBe(403);
  });

  it('keeps one file when the same uploadId races', async () => {
    const uploadId = randomUUID();
    const before = (await mediaFiles()).length;
    const answers = await Promise.all([upload(PNG, { uploadId }), upload(PNG, { uploadId })]);
    const urls = await Promise.all(answers.map(async (r) => ((await r.json()) as { url: string }).url));
    expect(urls[0]).toBe(urls[1]);
    expect((await mediaFiles()).length).toBe(before + 1);
  });
});

describe('signed URLs', () => {
  it('are issued to members only and let a header-less GET through until they expire', async () => {
    const { url } = await uploadOk(PNG);
    const sign = (token: string) =>
      fetch(`${srv.url}/media/urls`, { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify({ keys: [url] }) });
    const out = (await (await sign(outsiderToken)).json()) as { urls: Record<string, string> };
    expect(out.urls).toEqual({});
    const { urls, expiresAt } = (await (await sign(ownerToken)).json()) as { urls: Record<string, string>; expiresAt: number };
    expect(expiresAt).toBeGreaterThan(Date.now());
    const signed = urls[url]!;
    expect(signed.startsWith(`${url}?exp=`)).toBe(true);
    const res = await fetch(`${srv.url}${signed}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    // Tampered expiry, or a signature moved to another key, fail.
    expect((await fetch(`${srv.url}${signed.replace(/exp=(\d+)/, (_, e: string) => `exp=${Number(e) + 1}`)}`)).status).toBe(401);
    const other = (await uploadOk(PNG)).url;
    expect((await fetch(`${srv.url}${other}${signed.slice(url.length)}`)).status).toBe(401);
  });

  it('verify only in their canonical encoding: extra characters in sig fail', async () => {
    const { url } = await uploadOk(PNG);
    const { signMediaUrl } = await import('../../server/media/signedUrl');
    const good = signMediaUrl(TEST_SECRET, url.slice('/media/'.length), Math.floor(Date.now() / 1000) + 600);
    expect((await fetch(`${srv.url}${good}`)).status).toBe(200);
    for (const spoilt of [`${good}!`, `${good}%3D`, good.replace('sig=', 'sig=*')]) expect((await fetch(`${srv.url}${spoilt}`)).status, spoilt).toBe(401);
  });

  it('stop working once they expire (403 TOKEN_EXPIRED)', async () => {
    const { url } = await uploadOk(PNG);
    const { signMediaUrl } = await import('../../server/media/signedUrl');
    const stale = signMediaUrl(TEST_SECRET, url.slice(7), Math.floor(Date.now() / 1000) - 1);
    expect((await fetch(`${srv.url}${stale}`)).status).toBe(403);
  });
});

describe('limits on uploads', () => {
  it('refuses uploads past the per-user rate (429 RATE_LIMITED, retryable) while other users go on', async () => {
    const s = await startServer({ uploadRate: { perSecond: 0.001, burst: 2 } });
    try {
      const g = await setupGroup(s, [{}]);
      const tok = s.token(g.owner.userId, { role: 'supplier' });
      const other = s.token(g.members[0]!.userId, { role: 'distributor' });
      const post = (token: string) =>
        fetch(`${s.url}/media?conversationId=${g.conversation.id}&kind=image`, { method: 'POST', headers: auth(token), body: new Uint8Array(PNG) });
      expect((await post(tok)).status).toBe(201);
      expect((await post(tok)).status).toBe(201);
      const over = await post(tok);
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toBe('1');
      expect(await over.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect((await post(other)).status).toBe(201);
    } finally {
      await s.stop();
    }
  });

  it("refuses what would take a user past their storage quota (413), counting uploads in progress", async () => {
    const quota = 4 * 1024;
    const s = await startServer({ mediaQuotaBytes: quota });
    try {
      const g = await setupGroup(s, [{}]);
      const tok = s.token(g.owner.userId, { role: 'supplier' });
      const post = (body: Buffer) =>
        fetch(`${s.url}/media?conversationId=${g.conversation.id}&kind=image`, { method: 'POST', headers: auth(tok), body: new Uint8Array(body) });
      const file = (n: number) => Buffer.concat([PNG, Buffer.alloc(n - PNG.length, 1)]);
      expect((await post(file(3000))).status).toBe(201);
      const over = await post(file(2000));
      expect(over.status).toBe(413);
      expect(await over.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('quota') });
      expect((await post(file(1000))).status).toBe(201);
      // Another user's quota is their own.
      const other = s.token(g.members[0]!.userId, { role: 'distributor' });
      const theirs = await fetch(`${s.url}/media?conversationId=${g.conversation.id}&kind=image`, { method: 'POST', headers: auth(other), body: new Uint8Array(file(3000)) });
      expect(theirs.status).toBe(201);
    } finally {
      await s.stop();
    }
  });

  it('closes the socket of an upload refused for its token, instead of keeping it for the unread body', async () => {
    const closed = await new Promise<boolean>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: srv.port,
        method: 'POST',
        path: `/media?conversationId=${conv.id}&kind=image`,
        headers: { 'content-type': 'image/png', 'content-length': String(1024 * 1024) },
      });
      req.on('response', (res) => {
        expect(res.statusCode).toBe(401);
        expect(res.headers.connection).toBe('close');
        res.resume();
        res.on('end', () => req.socket?.once('close', () => resolve(true)));
      });
      req.on('error', reject);
      req.write(PNG); // and nothing more: a client that never finishes its body
    });
    expect(closed).toBe(true);
  });
});

describe('CORS for a storefront on another origin', () => {
  it('answers the preflight and the upload for an allowed origin only', async () => {
    const shop = 'https://shop.example';
    const s = await startServer({ allowedOrigins: [shop] });
    try {
      const g = await setupGroup(s, [{}]);
      const pre = (origin: string) =>
        fetch(`${s.url}/media?conversationId=${g.conversation.id}&kind=image`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
        });
      const ok = await pre(shop);
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(shop);
      expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
      const foreign = await pre('https://evil.example');
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const up = await fetch(`${s.url}/media?conversationId=${g.conversation.id}&kind=image`, {
        method: 'POST',
        headers: { origin: shop, authorization: `Bearer ${s.token(g.owner.userId, { role: 'supplier' })}`, 'content-type': 'image/png' },
        body: PNG,
      });
      expect(up.status).toBe(201);
      expect(up.headers.get('access-control-allow-origin')).toBe(shop);
    } finally {
      await s.stop();
    }
  });
});
