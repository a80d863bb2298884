/**
 * Media messages end to end in Node: the worker's sync layer stores an image's files with the
 * message, uploads them to the real server when it can, and sends the message exactly once,
 * pointing only at files the server holds.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageContent } from '../../schema';
import type { EngineEvent } from '../../worker/protocol';
import type { MediaDraft } from '../../worker/media/types';
import { metricValue } from '../support/fixtures';
import { online, startMessagingClient, viewWhen, type NodeClient } from '../support/messagingClient';
import { startServer, type TestServer } from '../support/server';
import { TcpProxy } from '../support/tcpProxy';

let server: TestServer | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server?.stop();
  server = undefined;
});

async function client(url: string, user: string, file?: string): Promise<NodeClient> {
  const c = await startMessagingClient(url, user, file);
  cleanups.push(() => c.stop());
  return c;
}

/** Bytes the server's sniffer takes for a JPEG (magic FF D8 FF), random after that. */
const jpeg = (size: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size - 4)]);
const imageDraft = (full = jpeg(200_000), thumb = jpeg(8_000)): MediaDraft => ({
  kind: 'image',
  width: 1600,
  height: 1200,
  image: { bytes: full, mime: 'image/jpeg' },
  thumb: { bytes: thumb, mime: 'image/jpeg' },
});

async function metric(s: TestServer, name: string, labels: string): Promise<number> {
  return metricValue(await (await fetch(`${s.url}/metrics`)).text(), name, labels) ?? 0;
}

async function directConversation(c: NodeClient): Promise<string> {
  await online(c.engine);
  const { conversation } = await c.engine.request('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
  return conversation.id;
}

describe('media messages against the real server', () => {
  it('uploads an image and its thumbnail, reports progress, then sends the message with their URLs', async () => {
    server = await startServer();
    const alice = await client(server.wsUrl, 'alice');
    const conversationId = await directConversation(alice);
    const progress: Extract<EngineEvent, { type: 'upload' }>[] = [];
    alice.messaging.events.on((e) => void (e.type === 'upload' && progress.push(e)));
    const full = jpeg(200_000);
    const thumb = jpeg(8_000);
    const pending = await alice.messaging.sendMedia(conversationId, imageDraft(full, thumb));
    expect(pending.state).toBe('pending');
    const c = pending.content as ImageContent;
    expect(c.url).toMatch(/^local:/);
    // Before it is sent, the tab shows the picture from the local bytes.
    expect(Buffer.from((await alice.messaging.localMedia(c.thumbUrl))!.bytes)).toEqual(thumb);

    const [sent] = await viewWhen(alice.messaging, conversationId, (ms) => ms[0]?.state === 'sent');
    const content = sent!.content as ImageContent;
    expect(content).toMatchObject({ type: 'image', width: 1600, height: 1200, bytes: full.length });
    expect(content.url).toMatch(/^\/media\/[0-9a-f]{32}$/);
    expect(content.thumbUrl).toMatch(/^\/media\/[0-9a-f]{32}$/);
    expect(await alice.messaging.localMedia(c.url)).toBeNull(); // the local copy went with the send
    expect(progress[0]).toMatchObject({ messageId: pending.id, loaded: 0, total: full.length + thumb.length, done: false });
    expect(progress.at(-1)).toMatchObject({ loaded: full.length + thumb.length, done: true });

    // What the server stored is what the message says, and a member can load it by a signed URL.
    const { messages } = await server.server.store.history(conversationId, undefined, 10);
    expect(messages.map((m) => m.content)).toEqual([content]);
    const urls = await alice.messaging.signMedia([content.url, content.thumbUrl]);
    const got = Buffer.from(await (await fetch(urls[content.thumbUrl]!)).arrayBuffer());
    expect(got).toEqual(thumb);
    expect(urls[content.url]).toMatch(/\?exp=\d+&sig=/);
    expect(await metric(server, 'parley_media_uploads_total', 'result="stored"')).toBe(2);
  });

  it('refuses a draft the server would refuse, storing nothing', async () => {
    server = await startServer();
    const alice = await client(server.wsUrl, 'alice');
    const conversationId = await directConversation(alice);
    const bad: MediaDraft[] = [
      { ...(imageDraft() as Extract<MediaDraft, { kind: 'image' }>), width: 0 },
      { kind: 'image', width: 10, height: 10, image: { bytes: jpeg(100), mime: 'text/html' }, thumb: { bytes: jpeg(100), mime: 'image/jpeg' } },
      { kind: 'voice', durationMs: 0, audio: { bytes: jpeg(100), mime: 'audio/webm' } },
      { kind: 'voice', durationMs: 1000, audio: { bytes: new Uint8Array(0), mime: 'audio/webm' } },
    ];
    for (const d of bad) await expect(alice.messaging.sendMedia(conversationId, d)).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    const huge: MediaDraft = { kind: 'voice', durationMs: 1000, audio: { bytes: jpeg(6 * 1024 * 1024), mime: 'audio/webm' } };
    await expect(alice.messaging.sendMedia(conversationId, huge)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await alice.store.pendingCount()).toBe(0);
  });

  it('keeps an image sent offline across a reload, then uploads each file once and sends one message', async () => {
    server = await startServer();
    const proxy = new TcpProxy(server.port);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const url = `ws://127.0.0.1:${proxy.port}/ws`;
    const file = `${server.dataDir}/alice-local.db`;
    const first = await client(url, 'alice', file);
    const conversationId = await directConversation(first);
    proxy.setMode('refuse');
    proxy.cutAll();
    const pending = await first.messaging.sendMedia(conversationId, imageDraft());
    const uploads = await first.store.uploadsOf(pending.id);
    expect(uploads.map((u) => [u.kind, u.url])).toEqual([
      ['image', null],
      ['thumb', null],
    ]);
    await cleanups.pop()!(); // reload with the message and its files still local

    // An upload of the first file was cut mid-way before the reload: the server keeps nothing of it.
    await cutUpload(server, pending.conversationId, uploads[0]!.uploadId, 'alice');
    proxy.setMode('forward');
    const second = await client(url, 'alice', file);
    const [sent] = await viewWhen(second.messaging, conversationId, (ms) => ms.length === 1 && ms[0]!.state === 'sent');
    expect(sent!.id).toBe(pending.id);
    const { messages } = await server.server.store.history(conversationId, undefined, 10);
    expect(messages).toHaveLength(1);
    expect(await metric(server, 'parley_media_uploads_total', 'result="stored"')).toBe(2);
    const c = messages[0]!.content as ImageContent;
    for (const path of [c.url, c.thumbUrl]) expect(await server.server.store.media.get(path.replace('/media/', ''))).not.toBeNull();
    expect(await second.store.uploadsOf(pending.id)).toEqual([]);
  });

  it('sends a voice message with its duration', async () => {
    server = await startServer();
    const alice = await client(server.wsUrl, 'alice');
    const conversationId = await directConversation(alice);
    // An Ogg page with an OpusHead: what the server's sniffer takes for audio/ogg.
    const ogg = Buffer.concat([
      Buffer.from('OggS'),
      Buffer.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 19]),
      Buffer.from('OpusHead'),
      Buffer.from([1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]),
      randomBytes(4000),
    ]);
    await alice.messaging.sendMedia(conversationId, { kind: 'voice', durationMs: 3200, audio: { bytes: ogg, mime: 'audio/ogg;codecs=opus' } });
    const [sent] = await viewWhen(alice.messaging, conversationId, (ms) => ms[0]?.state === 'sent');
    expect(sent!.content).toMatchObject({ type: 'voice', durationMs: 3200, mime: 'audio/ogg', bytes: ogg.length });
    expect((sent!.content as { url: string }).url).toMatch(/^\/media\//);
  });
});

/** Half of an upload under `uploadId`, then the socket is destroyed. */
function cutUpload(s: TestServer, conversationId: string, uploadId: string, user: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(`${s.url}/media?conversationId=${conversationId}&kind=image&uploadId=${uploadId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token(user)}`, 'content-type': 'image/jpeg', 'content-length': '200000' },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(jpeg(100_000), () => setImmediate(() => req.destroy()));
  });
}
