import { describe, expect, it } from 'vitest';
import { ErrorCode, type ImageContent } from '../../../schema';
import { prepareDraft } from '../../../worker/media/draft';
import { MediaUploader, type UploadProgress } from '../../../worker/media/MediaUploader';
import type { MediaDraft } from '../../../worker/media/types';
import type { LocalStore } from '../../../worker/store/LocalStore';
import { C1, openStore, sentCopy, T0 } from '../store/harness';
import { FakeMediaHttp } from './fakeHttp';

let ids = 0;
const newId = () => `00000000-0000-4000-8000-${(++ids).toString().padStart(12, '0')}`;
const image: MediaDraft = {
  kind: 'image',
  width: 800,
  height: 600,
  image: { bytes: new Uint8Array(5000).fill(1), mime: 'image/jpeg' },
  thumb: { bytes: new Uint8Array(300).fill(2), mime: 'image/jpeg' },
};

async function setup() {
  const o = await openStore();
  const http = new FakeMediaHttp();
  const progress: UploadProgress[] = [];
  const tokens: boolean[] = [];
  const uploader = new MediaUploader({
    store: o.store,
    http,
    baseUrl: 'https://chat.example',
    getToken: async (fresh) => (tokens.push(fresh), fresh ? 'fresh-token' : 'token'),
    clock: { now: () => o.clock.now },
    progress: (p) => progress.push(p),
  });
  const { content, uploads } = prepareDraft(image, newId);
  const message = await o.store.enqueue({ id: newId(), conversationId: C1, content, createdAt: T0, uploads });
  const item = { messageId: message.id, conversationId: C1, content, attempts: 0 };
  return { o, http, uploader, progress, tokens, message, item, store: o.store as LocalStore };
}

describe('MediaUploader', () => {
  it('uploads each file under its own upload id, then gives the content the server URLs', async () => {
    const s = await setup();
    const content = (await s.uploader.prepare(s.item)) as ImageContent;
    expect(s.http.uploads.map((u) => [u.url.pathname, u.url.searchParams.get('kind'), u.url.searchParams.get('conversationId'), u.size])).toEqual([
      ['/media', 'image', C1, 5000],
      ['/media', 'thumb', C1, 300],
    ]);
    const uploadIds = s.http.uploads.map((u) => u.url.searchParams.get('uploadId'));
    expect(new Set(uploadIds).size).toBe(2);
    expect(content).toMatchObject({ type: 'image', url: `/media/${'1'.padStart(32, '0')}`, thumbUrl: `/media/${'2'.padStart(32, '0')}` });
    // The stored message now holds what will be sent.
    expect((await s.store.message('alice', s.message.id))!.content).toEqual(content);
    expect(s.progress[0]).toEqual({ messageId: s.message.id, conversationId: C1, loaded: 0, total: 5300, done: false });
    expect(s.progress.at(-1)).toEqual({ messageId: s.message.id, conversationId: C1, loaded: 5300, total: 5300, done: true });
    expect(s.progress.filter((p) => p.done)).toHaveLength(1);
  });

  it('after a cut, uploads again only what the server does not have yet, under the same upload id', async () => {
    const s = await setup();
    s.http.script({ answer: { status: 201, body: { url: `/media/${'a'.repeat(32)}` } } }, { cutAt: 150 });
    await expect(s.uploader.prepare(s.item)).rejects.toMatchObject({ code: ErrorCode.DISCONNECTED });
    // Nothing to send yet: the content still points at the local files.
    expect(((await s.store.message('alice', s.message.id))!.content as ImageContent).thumbUrl).toMatch(/^local:/);
    const cutId = s.http.uploads[1]!.url.searchParams.get('uploadId');
    s.http.script({ answer: { status: 200, body: { url: `/media/${'b'.repeat(32)}` } } });
    const content = (await s.uploader.prepare(s.item)) as ImageContent;
    expect(s.http.uploads).toHaveLength(3);
    expect(s.http.uploads[2]!.url.searchParams.get('uploadId')).toBe(cutId);
    expect(content).toMatchObject({ url: `/media/${'a'.repeat(32)}`, thumbUrl: `/media/${'b'.repeat(32)}` });
    // The retry's progress starts from the file already up.
    expect(s.progress.filter((p) => p.loaded === 5000 && !p.done).length).toBeGreaterThan(0);
  });

  it('maps refusals to stable codes: permanent ones fail, the server\'s own trouble stays retryable', async () => {
    const s = await setup();
    s.http.script(
      { answer: { status: 415, body: { code: 'INVALID_PARAMS', message: 'not an image' } } },
      { answer: { status: 403, body: { code: 'FORBIDDEN', message: 'not a member' } } },
      { answer: { status: 503, body: { code: 'FORBIDDEN', message: 'overloaded' } } },
      { answer: { status: 201, body: { url: 'javascript:alert(1)' } } },
    );
    await expect(s.uploader.prepare(s.item)).rejects.toMatchObject({ code: ErrorCode.INVALID_PARAMS, message: 'upload: not an image' });
    await expect(s.uploader.prepare(s.item)).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    await expect(s.uploader.prepare(s.item)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
    await expect(s.uploader.prepare(s.item)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
    expect((await s.store.uploadsOf(s.message.id)).every((u) => u.url === null)).toBe(true);
  });

  it('asks the tabs for a fresh token once when the server says the token expired', async () => {
    const s = await setup();
    s.http.script({ answer: { status: 401, body: { code: 'TOKEN_EXPIRED', message: 'expired' } } });
    await s.uploader.prepare(s.item);
    expect(s.http.uploads.map((u) => u.token)).toEqual(['token', 'fresh-token', 'token']);
    // Refused again with the fresh one: no loop, a stable code.
    const again = await setup();
    again.http.script(
      { answer: { status: 401, body: { code: 'TOKEN_EXPIRED', message: 'expired' } } },
      { answer: { status: 401, body: { code: 'TOKEN_EXPIRED', message: 'expired' } } },
    );
    await expect(again.uploader.prepare(again.item)).rejects.toMatchObject({ code: ErrorCode.TOKEN_EXPIRED });
    expect(again.http.uploads).toHaveLength(2);
  });

  it('stops when the message was deleted meanwhile, and never finishes its content', async () => {
    const s = await setup();
    await s.store.deletePending(s.message.id);
    await expect(s.uploader.prepare(s.item)).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    expect(s.http.uploads).toHaveLength(0);
  });

  it("keeps files until the message is sent, then drops them; the server's copy wins", async () => {
    const s = await setup();
    const content = await s.uploader.prepare(s.item);
    const local = (s.item.content as ImageContent).thumbUrl;
    expect(await s.store.localFile(local.slice('local:'.length))).not.toBeNull();
    await s.store.markSent(s.message.id, sentCopy({ ...s.message, content }, 1));
    expect(await s.store.uploadsOf(s.message.id)).toEqual([]);
    expect(await s.store.localFile(local.slice('local:'.length))).toBeNull();
  });
});
