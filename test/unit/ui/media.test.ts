import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../ui/i18n/format';
import { imageFiles } from '../../../ui/elements/chat/mediaInput';
import { UploadProgress } from '../../../ui/media/uploadProgress';
import { isMediaRef, safeMediaSrc } from '../../../ui/safeUrl';

describe('formatDuration', () => {
  it('shows m:ss, or mm:ss for the recorder timer', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7_900)).toBe('0:07');
    expect(formatDuration(754_000)).toBe('12:34');
    expect(formatDuration(7_900, { pad: true })).toBe('00:07');
    expect(formatDuration(60_000, { pad: true })).toBe('01:00');
  });
  it('rounds a total length, never to zero', () => {
    expect(formatDuration(7_600, { round: true })).toBe('0:08');
    expect(formatDuration(600, { round: true })).toBe('0:01');
    expect(formatDuration(Number.NaN, { round: true })).toBe('0:00');
    expect(formatDuration(-5)).toBe('0:00');
  });
});

describe('media refs', () => {
  it('accepts local refs and safe URLs', () => {
    expect(isMediaRef('local:6b1e4c1a-0f7e-4a57-9a52-1f6f3b2d8c11')).toBe(true);
    expect(isMediaRef('/media/abc')).toBe(true);
    expect(isMediaRef('https://cdn.example/x.jpg')).toBe(true);
    expect(isMediaRef('local:')).toBe(false);
    expect(isMediaRef('local:a b')).toBe(false);
    expect(isMediaRef('blob:https://x/1')).toBe(false);
    expect(isMediaRef('javascript:alert(1)')).toBe(false);
  });
  it('lets a blob: URL through only for a local ref', () => {
    expect(safeMediaSrc('blob:http://127.0.0.1/1', 'local:a')).toBe('blob:http://127.0.0.1/1');
    expect(safeMediaSrc('blob:http://127.0.0.1/1', '/media/a')).toBeNull();
    expect(safeMediaSrc('/media/a?exp=1&sig=x', '/media/a')).toBe('/media/a?exp=1&sig=x');
    expect(safeMediaSrc('javascript:alert(1)', 'local:a')).toBeNull();
    expect(safeMediaSrc(undefined, 'local:a')).toBeNull();
  });
});

describe('UploadProgress', () => {
  it('tracks the latest fraction per message and stays full once done', () => {
    const p = new UploadProgress();
    expect(p.get('m1')).toBeNull();
    expect(p.apply({ messageId: 'm1', loaded: 0, total: 1000, done: false })).toBe(true);
    expect(p.apply({ messageId: 'm1', loaded: 400, total: 1000, done: false })).toBe(true);
    expect(p.apply({ messageId: 'm1', loaded: 400, total: 1000, done: false })).toBe(false); // nothing new: no render
    expect(p.get('m1')).toEqual({ loaded: 400, total: 1000 });
    p.apply({ messageId: 'm1', loaded: 990, total: 1000, done: true });
    expect(p.get('m1')).toEqual({ loaded: 1000, total: 1000 });
  });
  it('clamps nonsense and is bounded', () => {
    const p = new UploadProgress(2);
    p.apply({ messageId: 'a', loaded: 5000, total: 1000, done: false });
    expect(p.get('a')).toEqual({ loaded: 1000, total: 1000 });
    p.apply({ messageId: 'b', loaded: -1, total: 10, done: false });
    expect(p.get('b')).toEqual({ loaded: 0, total: 10 });
    p.apply({ messageId: 'c', loaded: 1, total: 10, done: false });
    expect(p.get('a')).toBeNull();
    expect(p.get('c')).not.toBeNull();
  });
});

describe('imageFiles', () => {
  it('keeps only images from a paste or a drop', () => {
    const files = [new File(['x'], 'a.png', { type: 'image/png' }), new File(['x'], 'b.pdf', { type: 'application/pdf' })];
    expect(imageFiles(files).map((f) => f.name)).toEqual(['a.png']);
    expect(imageFiles(null)).toEqual([]);
  });
});
