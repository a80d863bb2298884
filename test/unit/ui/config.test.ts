import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, normalizeConfig } from '../../../ui/config';
import { statusLine } from '../../../ui/status';
import { translator } from '../../../ui/i18n/locale';
import type { ConnectionState } from '../../../worker/connection/state';

describe('normalizeConfig', () => {
  it('fills defaults', () => {
    expect(normalizeConfig(null)).toEqual(DEFAULT_CONFIG);
    expect(normalizeConfig({ features: { voice: true } })).toEqual({ ...DEFAULT_CONFIG, features: { voice: true, image: false, emoji: true } });
  });

  it('clamps the page size', () => {
    expect(normalizeConfig({ pageSize: 0 }).pageSize).toBe(30);
    expect(normalizeConfig({ pageSize: 1000 }).pageSize).toBe(200);
    expect(normalizeConfig({ pageSize: 12.7 }).pageSize).toBe(12);
  });

  it('clamps the voice length limit to 1 s..10 min, default 60 s', () => {
    expect(normalizeConfig(null).voiceMaxMs).toBe(60_000);
    expect(normalizeConfig({ voiceMaxMs: null as never }).voiceMaxMs).toBe(60_000);
    expect(normalizeConfig({ voiceMaxMs: 'soon' as never }).voiceMaxMs).toBe(60_000);
    expect(normalizeConfig({ voiceMaxMs: 10 }).voiceMaxMs).toBe(1_000);
    expect(normalizeConfig({ voiceMaxMs: 3_600_000 }).voiceMaxMs).toBe(600_000);
    expect(normalizeConfig({ voiceMaxMs: 30_500.7 }).voiceMaxMs).toBe(30_500);
  });

  it('keeps well-formed more items, callback only when true', () => {
    const more = [
      { id: 'coupon', icon: '🎟', label: 'Coupon', callback: true },
      { id: 'faq', icon: '/faq.svg', label: 'FAQ', callback: false },
      { id: 7, icon: 'x', label: 'bad' },
    ] as never;
    expect(normalizeConfig({ more }).more).toEqual([
      { id: 'coupon', icon: '🎟', label: 'Coupon', callback: true },
      { id: 'faq', icon: '/faq.svg', label: 'FAQ', callback: false },
    ]);
  });
});

describe('statusLine', () => {
  const t = translator('en');
  const online: ConnectionState = {
    status: 'online',
    since: 0,
    userId: 'alice',
    role: 'customer',
    shopId: null,
    displayName: 'Alice',
    deviceId: 'd_1',
  };
  it('is quiet when online and persistent', () => {
    expect(statusLine(online, 'persistent', t)).toEqual({ connection: null, storage: null, canRetry: false, history: null });
  });
  it('is quiet while just starting, before storage is known', () => {
    expect(statusLine({ status: 'idle' }, 'unknown', t)).toEqual({ connection: null, storage: null, canRetry: false, history: null });
  });
  it('tells offline and non-durable storage, and offers retry after giving up', () => {
    expect(statusLine({ status: 'offline' }, 'best_effort', t).connection).toMatch(/Offline/);
    expect(statusLine({ status: 'offline' }, 'best_effort', t).storage).toMatch(/cleared/);
    expect(statusLine({ status: 'offline' }, 'memory', t).storage).toMatch(/tab closes/);
    const gaveUp = statusLine({ status: 'gave_up', attempts: 9, lastError: { code: 'NETWORK' as never, message: '' } }, 'unknown', t);
    expect(gaveUp).toEqual({ connection: 'Can’t connect', storage: null, canRetry: true, history: null });
  });
  it('says so, online too, when the server lost history this device had: what is resent and what is gone', () => {
    expect(statusLine(online, 'persistent', t, { requeued: 2, dropped: 1 }).history).toBe(
      'The server lost its latest messages: 2 of yours are being sent again, 1 from others are gone',
    );
    expect(statusLine(online, 'persistent', translator('zh-CN'), { requeued: 2, dropped: 1 }).history).toMatch(/2 条正在重新发送/);
  });
});
