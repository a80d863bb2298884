import { describe, expect, it } from 'vitest';
import { cardImageUrl, safeUrl } from '../../../ui/safeUrl';

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

describe('cardImageUrl', () => {
  const page = 'https://shop.example';
  it('loads card images from paths and from the page origin', () => {
    expect(cardImageUrl('/img/mug.png', [], page)).toBe('/img/mug.png');
    expect(cardImageUrl('https://shop.example/img/mug.png', [], page)).toBe('https://shop.example/img/mug.png');
  });

  it('leaves out any other host unless it is listed: it would learn who reads and when', () => {
    expect(cardImageUrl('https://tracker.example/pixel.gif?agent', [], page)).toBeNull();
    expect(cardImageUrl('https://cdn.shop.example/mug.png', [], page)).toBeNull();
    expect(cardImageUrl('https://cdn.shop.example/mug.png', ['https://cdn.shop.example'], page)).toBe('https://cdn.shop.example/mug.png');
    expect(cardImageUrl('https://cdn.shop.example.evil/mug.png', ['https://cdn.shop.example'], page)).toBeNull();
  });

  it('refuses what safeUrl refuses', () => {
    expect(cardImageUrl('/\\evil.example/x.png', [], page)).toBeNull();
    expect(cardImageUrl('javascript:alert(1)', ['javascript:'], page)).toBeNull();
  });
});
