/** Dates and money through Intl, in the element's locale. Pure functions (no DOM). */
import type { Content, Money } from '../../schema/content';
import type { Translate } from './locale';

/** A valid Intl tag for `locale`, falling back to 'en' for a name Intl rejects (e.g. a custom table name). */
export function intlLocale(locale: string): string {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

/** A price in its currency, e.g. "$19.90" (en) or "¥19.90" (zh-CN, CNY). The amount is a decimal string. */
export function formatPrice(money: Money, locale: string): string {
  const amount = Number(money.amount);
  try {
    return new Intl.NumberFormat(intlLocale(locale), { style: 'currency', currency: money.currency }).format(amount);
  } catch {
    return `${money.amount} ${money.currency}`;
  }
}

const DAY_MS = 86_400_000;

/**
 * A message time: the time of day when it is today, weekday + time within the last 6 days, else
 * the date and time. `now` is injected so tests need no clock.
 */
export function formatTime(ts: number, locale: string, now: number = Date.now(), timeZone?: string): string {
  const tag = intlLocale(locale);
  const tz = timeZone ? { timeZone } : {};
  const day = (t: number) => new Intl.DateTimeFormat('en-CA', { ...tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(t);
  if (day(ts) === day(now)) return new Intl.DateTimeFormat(tag, { ...tz, hour: '2-digit', minute: '2-digit' }).format(ts);
  if (now - ts > 0 && now - ts < 6 * DAY_MS) {
    return new Intl.DateTimeFormat(tag, { ...tz, weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(ts);
  }
  return new Intl.DateTimeFormat(tag, { ...tz, dateStyle: 'medium', timeStyle: 'short' }).format(ts);
}

/** A one-line preview of content for lists and announcements. */
export function previewText(content: Content, t: Translate): string {
  switch (content.type) {
    case 'text':
      return String(content.text ?? '');
    case 'image':
      return t('preview.image');
    case 'voice':
      return t('preview.voice');
    case 'product':
      return t('preview.product', { title: String(content.title ?? '') });
    case 'order':
      return t('preview.order', { status: String(content.status ?? '') });
    default:
      return t('preview.unsupported');
  }
}
