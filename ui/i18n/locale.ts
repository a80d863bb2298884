/**
 * Locale tables and the page-wide default locale. An element uses, in order: its `locale`
 * attribute, its `lang` attribute, then the default set by setLocale() ('en' until then).
 * A tag without its own table uses its language's table ('zh-TW' → 'zh-CN' if no 'zh-TW'), then 'en';
 * Intl formatting still gets the requested tag.
 */
import { en, type LocaleTable, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type { LocaleTable, MessageKey };
export type Params = Record<string, string | number>;

const tables = new Map<string, Partial<LocaleTable>>([
  ['en', en],
  ['zh-CN', zhCN],
]);
let current = 'en';
const listeners = new Set<() => void>();

/** Add or extend a locale (missing keys fall back to English). Re-renders elements using it. */
export function addLocale(name: string, table: Partial<LocaleTable>): void {
  tables.set(name, { ...tables.get(name), ...table });
  notify();
}

/** Set the page-wide default locale (a BCP 47 tag, e.g. 'en', 'zh-CN'). */
export function setLocale(name: string): void {
  current = name;
  notify();
}

/** The page-wide default locale. */
export function getLocale(): string {
  return current;
}

/** Called whenever a table is added or the default changes; returns the unsubscribe. */
export function onLocaleChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const l of [...listeners]) l();
}

/** The table for a tag: exact (case-insensitive), else the first with the same language, else English. */
export function tableFor(locale: string): Partial<LocaleTable> {
  const lower = locale.toLowerCase();
  for (const [name, table] of tables) if (name.toLowerCase() === lower) return table;
  const lang = lower.split('-')[0];
  for (const [name, table] of tables) if (name.toLowerCase().split('-')[0] === lang) return table;
  return en;
}

/** Translate `key` in `locale`, filling `{name}` placeholders from params. */
export function translate(locale: string, key: MessageKey, params?: Params): string {
  const text = tableFor(locale)[key] ?? en[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
}

/** A translator bound to a locale: what elements and templates use. */
export type Translate = (key: MessageKey, params?: Params) => string;

export function translator(locale: string): Translate {
  return (key, params) => translate(locale, key, params);
}
