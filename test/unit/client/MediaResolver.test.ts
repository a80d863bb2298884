import { describe, expect, it } from 'vitest';
import { MediaResolver } from '../../../client/media/MediaResolver';
import type { LocalFile } from '../../../worker/media/types';

const REF = (n: number) => `local:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function setup(files: Record<string, LocalFile | null> = {}) {
  const calls = { local: [] as string[], sign: [] as string[][] };
  const resolver = new MediaResolver({
    localMedia: async (ref) => (calls.local.push(ref), ref in files ? files[ref]! : { bytes: new Uint8Array([1, 2, 3]), mime: 'image/jpeg' }),
    signMedia: async (paths) => (calls.sign.push(paths), Object.fromEntries(paths.map((p) => [p, `https://chat.example${p}?sig=x`]))),
  });
  return { resolver, calls };
}

describe('MediaResolver', () => {
  it('makes one blob: URL per local ref and reuses it', async () => {
    const s = setup();
    const a = await s.resolver.resolve(REF(1));
    expect(a).toMatch(/^blob:/);
    expect(await s.resolver.resolve(REF(1))).toBe(a);
    expect(s.calls.local).toEqual([REF(1)]);
    const blob = await (await fetch(a)).arrayBuffer();
    expect([...new Uint8Array(blob)]).toEqual([1, 2, 3]);
  });

  it('rejects with NOT_FOUND when the local file is gone, and asks again next time', async () => {
    const s = setup({ [REF(2)]: null });
    await expect(s.resolver.resolve(REF(2))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.resolver.resolve(REF(2))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(s.calls.local).toEqual([REF(2), REF(2)]);
  });

  it('revokes the oldest blob: URLs past its bound', async () => {
    const s = setup();
    const first = await s.resolver.resolve(REF(0));
    for (let i = 1; i <= 64; i++) await s.resolver.resolve(REF(i));
    await new Promise((r) => setImmediate(r)); // the revoke runs on the evicted promise's then
    await expect(fetch(first)).rejects.toThrow();
  });

  it("signs one tick's server paths in one call, passes http(s) through, refuses the rest", async () => {
    const s = setup();
    const [a, b] = await Promise.all([s.resolver.resolve('/media/abc'), s.resolver.resolve('/media/def')]);
    expect(a).toBe('https://chat.example/media/abc?sig=x');
    expect(b).toBe('https://chat.example/media/def?sig=x');
    expect(s.calls.sign).toEqual([['/media/abc', '/media/def']]);
    expect(await s.resolver.resolve('https://cdn.example/p.png')).toBe('https://cdn.example/p.png');
    for (const bad of ['javascript:alert(1)', 'data:image/png;base64,AA', '/media/../x', '/other/x']) {
      await expect(s.resolver.resolve(bad)).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    }
  });
});
