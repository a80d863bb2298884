/**
 * One URL check for the server's validators and the kit, held against the WHATWG URL parser (what
 * a browser will do with the string): whatever it accepts resolves to http(s), and a path it
 * accepts stays on the page's own host.
 */
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { SafeUrl, safeUrl } from '../../../schema';
import { safeUrl as kitSafeUrl } from '../../../ui/safeUrl';

const BASE = 'https://shop.example/products/';
const alphabet = fc.constantFrom('/', '\\', ':', '@', '.', '%', '#', '?', '5', 'c', 'h', 't', 'p', 's', 'e', 'v', 'i', 'l', '\t', '\n', ' ', '\u0000', '\u2028');
const candidate = fc.oneof(
  fc.array(alphabet, { maxLength: 24 }).map((cs) => cs.join('')),
  fc.tuple(fc.constantFrom('/', '//', '/\\', '\\/', 'https://', 'http:', 'https:/', 'javascript:', ' /', '/%2f'), fc.array(alphabet, { maxLength: 16 })).map(([p, cs]) => p + cs.join('')),
);

describe('SafeUrl', () => {
  it('refuses the backslash trick browsers resolve to another host, in the schema and in the kit', () => {
    for (const url of ['/\\evil.example/phish', '/\\/evil.example', '\\\\evil.example']) {
      expect(new URL(url, BASE).host === 'shop.example' && url.startsWith('/\\')).toBe(false);
      expect(v.is(SafeUrl, url)).toBe(false);
      expect(kitSafeUrl(url)).toBeNull();
    }
    expect(new URL('/\\evil.example/phish', BASE).host).toBe('evil.example');
  });

  it('accepts only what a browser resolves to http(s), and keeps every accepted path on the page host', () => {
    fc.assert(
      fc.property(candidate, (url) => {
        const accepted = safeUrl(url) !== null;
        expect(v.is(SafeUrl, url)).toBe(accepted);
        expect(kitSafeUrl(url) !== null).toBe(accepted);
        if (!accepted) return;
        const resolved = new URL(url, BASE);
        expect(['http:', 'https:']).toContain(resolved.protocol);
        if (url.startsWith('/')) expect(resolved.host).toBe('shop.example');
      }),
      { numRuns: 5000, seed: 8 },
    );
  });
});
