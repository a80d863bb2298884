import { describe, expect, it, vi } from 'vitest';
import { MediaUrlCache } from '../../../ui/media/mediaUrlCache';

/** A resolver whose answers the test hands out one by one. */
function deferredResolver() {
  const calls: { ref: string; resolve: (url: string) => void; reject: (err: unknown) => void }[] = [];
  const resolver = vi.fn(
    (ref: string) =>
      new Promise<string>((resolve, reject) => {
        calls.push({ ref, resolve, reject });
      }),
  );
  return { resolver, calls };
}

const flush = () => new Promise<void>((r) => queueMicrotask(r)).then(() => undefined);
const settle = async () => {
  for (let i = 0; i < 5; i++) await flush();
};

describe('MediaUrlCache', () => {
  it('answers null while resolving, then the URL, asking the client once per ref', async () => {
    const { resolver, calls } = deferredResolver();
    const onChange = vi.fn();
    const cache = new MediaUrlCache(resolver, onChange);
    expect(cache.get('/media/k1')).toBeNull();
    expect(cache.get('/media/k1')).toBeNull();
    expect(resolver).toHaveBeenCalledTimes(1);
    calls[0]!.resolve('/media/k1?exp=1&sig=abc');
    await settle();
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(cache.get('/media/k1')).toBe('/media/k1?exp=1&sig=abc');
    expect(resolver).toHaveBeenCalledTimes(1);
  });

  it('accepts a blob: URL only for a local ref', async () => {
    const { resolver, calls } = deferredResolver();
    const cache = new MediaUrlCache(resolver, () => {});
    cache.get('local:3f2a-77');
    cache.get('/media/k2');
    calls[0]!.resolve('blob:http://127.0.0.1:8080/9d1c');
    calls[1]!.resolve('blob:http://127.0.0.1:8080/evil');
    await settle();
    expect(cache.get('local:3f2a-77')).toBe('blob:http://127.0.0.1:8080/9d1c');
    expect(cache.get('/media/k2')).toBeNull();
    expect(cache.error('/media/k2')).toBe('UNSAFE_URL');
  });

  it('refuses what is not a media ref without asking the client', () => {
    const { resolver } = deferredResolver();
    const cache = new MediaUrlCache(resolver, () => {});
    for (const bad of ['javascript:alert(1)', 'data:image/png;base64,AA', '//evil.example/x', 'local:../x', 42]) {
      expect(cache.get(bad)).toBeNull();
      expect(cache.error(bad)).toBe('INVALID_URL');
    }
    expect(cache.error(undefined)).toBeNull();
    expect(resolver).not.toHaveBeenCalled();
  });

  it('remembers a failure instead of asking again on every render', async () => {
    const { resolver, calls } = deferredResolver();
    const cache = new MediaUrlCache(resolver, () => {});
    cache.get('local:gone');
    calls[0]!.reject(Object.assign(new Error('gone'), { code: 'NOT_FOUND' }));
    await settle();
    for (let i = 0; i < 10; i++) expect(cache.get('local:gone')).toBeNull();
    expect(cache.error('local:gone')).toBe('NOT_FOUND');
    expect(resolver).toHaveBeenCalledTimes(1);
    cache.retry('local:gone');
    cache.get('local:gone');
    expect(resolver).toHaveBeenCalledTimes(2);
  });

  it('refresh() (back online) forgets failures and bare offline URLs, not signed ones', async () => {
    const { resolver, calls } = deferredResolver();
    const onChange = vi.fn();
    const cache = new MediaUrlCache(resolver, onChange);
    cache.get('/media/bare');
    cache.get('/media/signed');
    cache.get('/media/broken');
    calls[0]!.resolve('/media/bare'); // offline: the service worker's cache may answer it
    calls[1]!.resolve('/media/signed?exp=9&sig=x');
    calls[2]!.reject({ code: 'REQUEST_TIMEOUT' });
    await settle();
    cache.refresh();
    cache.get('/media/bare');
    cache.get('/media/signed');
    cache.get('/media/broken');
    expect(resolver.mock.calls.map(([ref]) => ref)).toEqual(['/media/bare', '/media/signed', '/media/broken', '/media/bare', '/media/broken']);
  });

  it('a load failure reported by the element sticks until retried', async () => {
    const { resolver, calls } = deferredResolver();
    const cache = new MediaUrlCache(resolver, () => {});
    cache.get('/media/k');
    calls[0]!.resolve('/media/k?sig=1');
    await settle();
    cache.fail('/media/k');
    expect(cache.get('/media/k')).toBeNull();
    expect(cache.error('/media/k')).toBe('LOAD_FAILED');
    expect(resolver).toHaveBeenCalledTimes(1);
  });

  it('keeps a slot’s previous URL while its new ref resolves (local ref → server URL)', async () => {
    const { resolver, calls } = deferredResolver();
    const cache = new MediaUrlCache(resolver, () => {});
    cache.get('local:a1', 'm1:thumb');
    calls[0]!.resolve('blob:http://x/1');
    await settle();
    expect(cache.get('local:a1', 'm1:thumb')).toBe('blob:http://x/1');
    expect(cache.get('/media/up', 'm1:thumb')).toBe('blob:http://x/1');
    calls[1]!.resolve('/media/up?sig=2');
    await settle();
    expect(cache.get('/media/up', 'm1:thumb')).toBe('/media/up?sig=2');
  });

  it('is bounded, forgetting the least recently used', async () => {
    const { resolver, calls } = deferredResolver();
    const cache = new MediaUrlCache(resolver, () => {}, 2);
    cache.get('/media/a');
    cache.get('/media/b');
    for (const c of calls) c.resolve(`${c.ref}?s`);
    await settle();
    cache.get('/media/a'); // a is now the most recent
    cache.get('/media/c');
    calls[2]!.resolve('/media/c?s');
    await settle();
    expect(cache.get('/media/a')).toBe('/media/a?s');
    expect(resolver).toHaveBeenCalledTimes(3);
    cache.get('/media/b'); // forgotten: asked again
    expect(resolver).toHaveBeenCalledTimes(4);
  });

  it('drops answers that arrive after a reset (another client)', async () => {
    const { resolver, calls } = deferredResolver();
    const onChange = vi.fn();
    const cache = new MediaUrlCache(resolver, onChange);
    cache.get('/media/a');
    const other = deferredResolver();
    cache.reset(other.resolver);
    calls[0]!.resolve('/media/a?old');
    await settle();
    expect(onChange).not.toHaveBeenCalled();
    expect(cache.get('/media/a')).toBeNull();
    expect(other.resolver).toHaveBeenCalledTimes(1);
  });

  it('answers null without a client, and does not remember that', () => {
    const cache = new MediaUrlCache(null, () => {});
    expect(cache.get('/media/a')).toBeNull();
    expect(cache.error('/media/a')).toBeNull();
    const { resolver } = deferredResolver();
    cache.reset(resolver);
    cache.get('/media/a');
    expect(resolver).toHaveBeenCalledTimes(1);
  });
});
