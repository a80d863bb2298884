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
    case 'recalled':
      return t('message.recalled');
    case 'deleted':
      return t('preview.deleted');
    default:
      return t('preview.unsupported');
  }
}

/**
 * A media length as m:ss ("0:07", "12:30"), or mm:ss with `pad` ("00:07", the recorder's timer).
 * Seconds are cut down (an elapsed time shows a second only once it has passed), or with `round`
 * rounded to the nearest, at least 1 (a total length: a 0.6 s message is "0:01", not "0:00").
 */
export function formatDuration(ms: number, opts: { pad?: boolean; round?: boolean } = {}): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  const total = opts.round ? Math.max(safe > 0 ? 1 : 0, Math.round(safe / 1000)) : Math.floor(safe / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return `${opts.pad ? String(minutes).padStart(2, '0') : minutes}:${seconds}`;
}
