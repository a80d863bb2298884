import { describe, expect, it } from 'vitest';
import type { Content } from '../../../schema';
import { prepareDraft } from '../../../worker/media/draft';
import { hasLocalRefs, resolveRefs, uploadIdOf, withPlaceholderUrls } from '../../../worker/media/refs';

const ID = '0f0e0d0c-0b0a-4000-8000-000000000001';
const ID2 = '0f0e0d0c-0b0a-4000-8000-000000000002';

describe('local media refs', () => {
  it('names an upload id, and nothing else', () => {
    expect(uploadIdOf(`local:${ID}`)).toBe(ID);
    expect(uploadIdOf(`local:${ID.toUpperCase()}`)).toBe(ID);
    for (const bad of ['local:', 'local:../x', `/media/${ID}`, `xlocal:${ID}`, 42, null]) expect(uploadIdOf(bad)).toBeNull();
  });

  it('swaps refs for uploaded URLs and refuses to leave one unresolved', () => {
    const c: Content = { type: 'image', url: `local:${ID}`, thumbUrl: `local:${ID2}`, width: 1, height: 1 };
    expect(hasLocalRefs(c)).toBe(true);
    const urls = new Map([
      [ID, '/media/a'],
      [ID2, '/media/b'],
    ]);
    const done = resolveRefs(c, urls);
    expect(done).toEqual({ ...c, url: '/media/a', thumbUrl: '/media/b' });
    expect(hasLocalRefs(done)).toBe(false);
    expect(() => resolveRefs(c, new Map([[ID, '/media/a']]))).toThrow(/no uploaded URL/);
    expect(withPlaceholderUrls(c)).toMatchObject({ url: `/media/${ID}`, thumbUrl: `/media/${ID2}` });
    expect(hasLocalRefs({ type: 'text', text: `local:${ID}` })).toBe(false);
  });

  it('turns a draft into content with one local ref per stored file', () => {
    let n = 0;
    const ids = [ID, ID2];
    const { content, uploads } = prepareDraft(
      { kind: 'voice', durationMs: 1500, audio: { bytes: new Uint8Array([1, 2, 3]), mime: 'audio/webm;codecs=opus' } },
      () => ids[n++]!,
    );
    expect(content).toEqual({ type: 'voice', url: `local:${ID}`, durationMs: 1500, bytes: 3, mime: 'audio/webm' });
    expect(uploads).toEqual([{ uploadId: ID, kind: 'voice', mime: 'audio/webm', bytes: new Uint8Array([1, 2, 3]) }]);
    expect(() => prepareDraft({ kind: 'video' } as never, () => ID)).toThrow(/kind/);
  });
});
