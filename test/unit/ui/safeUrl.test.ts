import { describe, expect, it } from 'vitest';
import { safeUrl } from '../../../ui/safeUrl';

describe('safeUrl', () => {
  it.each(['https://shop.example/p/1', 'http://shop.example', 'HTTPS://SHOP.EXAMPLE/x?y=1#z', '/products/1', '/'])('allows %s', (url) => {
    expect(safeUrl(url)).toBe(url);
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'blob:https://x/1',
    '//evil.example/x',
    '/\\evil.example',
    'https:evil',
    'https://',
    'products/1',
    '',
    'https://a.example/\nx',
  ])('refuses %j', (url) => {
    expect(safeUrl(url)).toBeNull();
  });

  it('refuses non-strings and overlong URLs', () => {
    expect(safeUrl(undefined)).toBeNull();
    expect(safeUrl(42)).toBeNull();
    expect(safeUrl({ toString: () => '/x' })).toBeNull();
    expect(safeUrl('/' + 'a'.repeat(3000))).toBeNull();
  });
});
