import { describe, expect, it } from 'vitest';
import { SignedUrls } from '../../../worker/media/SignedUrls';
import { FakeMediaHttp } from './fakeHttp';

const K1 = `/media/${'1'.repeat(32)}`;
const K2 = `/media/${'2'.repeat(32)}`;
const BASE = 'https://chat.example';

function setup() {
  const clock = { now: 1_000_000 };
  const http = new FakeMediaHttp();
  let exp = clock.now + 24 * 3600_000;
  http.post = (_url, body) => {
    const keys = (body as { keys: string[] }).keys;
    return { status: 200, body: { urls: Object.fromEntries(keys.map((k) => [k, `${k}?exp=${exp}&sig=s`])), expiresAt: exp } };
  };
  const urls = new SignedUrls({ http, baseUrl: BASE, getToken: async () => 't', clock: { now: () => clock.now } });
  return { clock, http, urls, setExpiry: (e: number) => void (exp = e) };
}

describe('SignedUrls', () => {
  it("coalesces one tick's asks into one request and answers absolute signed URLs", async () => {
    const s = setup();
    const [a, b] = await Promise.all([s.urls.sign([K1]), s.urls.sign([K1, K2])]);
    expect(s.http.posts).toEqual([{ url: `${BASE}/media/urls`, body: { keys: [K1, K1, K2] } }]);
    expect(a[K1]).toMatch(new RegExp(`^${BASE}${K1}\\?exp=\\d+&sig=s$`));
    expect(b[K2]).toMatch(new RegExp(`^${BASE}${K2}\\?`));
  });

  it('serves from its cache until a URL nears expiry, then signs again', async () => {
    const s = setup();
    await s.urls.sign([K1]);
    await s.urls.sign([K1]);
    expect(s.http.posts).toHaveLength(1);
    s.clock.now += 24 * 3600_000 - 5 * 60_000; // five minutes before expiry
    await s.urls.sign([K1]);
    expect(s.http.posts).toHaveLength(2);
  });

  it('answers the bare URL when it cannot sign (offline), and keeps trying later', async () => {
    const s = setup();
    s.http.post = () => {
      throw new Error('offline');
    };
    expect(await s.urls.sign([K1])).toEqual({ [K1]: `${BASE}${K1}` });
    s.http.post = () => ({ status: 200, body: { urls: { [K1]: `${K1}?exp=1&sig=x` }, expiresAt: s.clock.now + 3600_000 } });
    expect(await s.urls.sign([K1])).toEqual({ [K1]: `${BASE}${K1}?exp=1&sig=x` });
  });

  it('ignores what is not a media path, and what the server did not sign', async () => {
    const s = setup();
    s.http.post = () => ({ status: 200, body: { urls: { [K1]: 'https://evil.example/x' }, expiresAt: s.clock.now + 3600_000 } });
    expect(await s.urls.sign(['javascript:alert(1)', '/media/../etc/passwd', K1])).toEqual({ [K1]: `${BASE}${K1}` });
    expect(s.http.posts[0]!.body).toEqual({ keys: [K1] });
  });
});
