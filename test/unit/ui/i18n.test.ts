import { afterEach, describe, expect, it, vi } from 'vitest';
import { en } from '../../../ui/i18n/en';
import { formatPrice, formatTime, intlLocale, previewText } from '../../../ui/i18n/format';
import { addLocale, getLocale, onLocaleChange, setLocale, translate, translator } from '../../../ui/i18n/locale';
import { zhCN } from '../../../ui/i18n/zh-CN';

describe('locale tables', () => {
  afterEach(() => setLocale('en'));

  it('ships en and zh-CN with the same keys', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it('translates with placeholders', () => {
    expect(translate('en', 'list.unread', { count: 3 })).toBe('3 unread');
    expect(translate('zh-CN', 'list.unread', { count: 3 })).toBe('3 条未读');
    expect(translate('en', 'card.order', {})).toBe('Order {id}');
  });

  it('falls back by language, then to English', () => {
    expect(translate('zh', 'composer.send')).toBe('发送');
    expect(translate('zh-TW', 'composer.send')).toBe('发送');
    expect(translate('fr', 'composer.send')).toBe('Send');
  });

  it('addLocale adds a table whose missing keys fall back to English, and notifies', () => {
    const listener = vi.fn();
    const stop = onLocaleChange(listener);
    addLocale('fr', { 'composer.send': 'Envoyer' });
    expect(translator('fr')('composer.send')).toBe('Envoyer');
    expect(translator('fr')('composer.label')).toBe('Message');
    setLocale('fr');
    expect(getLocale()).toBe('fr');
    expect(listener).toHaveBeenCalledTimes(2);
    stop();
  });
});

describe('formatting', () => {
  it('formats prices in the locale with the Money currency', () => {
    expect(formatPrice({ amount: '19.90', currency: 'USD' }, 'en')).toBe('$19.90');
    expect(formatPrice({ amount: '1299', currency: 'CNY' }, 'zh-CN')).toBe('¥1,299.00');
    expect(formatPrice({ amount: '5', currency: 'JPY' }, 'en')).toBe('¥5');
    expect(formatPrice({ amount: '1234.5', currency: 'EUR' }, 'de-DE')).toBe('1.234,50\u00a0€');
  });

  it('uses English for a locale name Intl rejects', () => {
    expect(intlLocale('zh-CN')).toBe('zh-CN');
    expect(intlLocale('not a locale!')).toBe('en');
  });

  it('shows the time of day for today, the weekday within a week, else the date', () => {
    const now = Date.UTC(2025, 5, 18, 15, 0); // Wednesday
    expect(formatTime(Date.UTC(2025, 5, 18, 9, 5), 'en-GB', now, 'UTC')).toBe('09:05');
    expect(formatTime(Date.UTC(2025, 5, 16, 9, 5), 'en-GB', now, 'UTC')).toBe('Mon 09:05');
    expect(formatTime(Date.UTC(2025, 0, 2, 9, 5), 'en-GB', now, 'UTC')).toBe('2 Jan 2025, 09:05');
    expect(formatTime(Date.UTC(2025, 5, 18, 9, 5), 'zh-CN', now, 'UTC')).toBe('09:05');
  });

  it('previews each content type', () => {
    const t = translator('en');
    expect(previewText({ type: 'text', text: 'hi' }, t)).toBe('hi');
    expect(previewText({ type: 'product', productId: 'p', title: 'Mug', price: { amount: '1', currency: 'USD' } }, t)).toBe('[Product] Mug');
    expect(previewText({ type: 'order', orderId: 'o', status: 'shipped', total: { amount: '1', currency: 'USD' } }, t)).toBe('[Order] shipped');
    expect(previewText({ type: 'sticker.v2', id: 1 }, translator('zh-CN'))).toBe('[暂不支持的消息]');
  });
});
