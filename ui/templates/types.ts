/** What a message renderer receives and returns. */
import type { TemplateResult } from 'lit';
import type { Money } from '../../schema/content';
import type { LocalMessage } from '../../worker/store/types';
import type { ParleyEventMap, ParleyEventName } from '../events';
import type { Translate } from '../i18n/locale';

export interface TemplateContext {
  /** The element's locale tag (e.g. 'zh-CN'). */
  locale: string;
  /** Translate a key of the locale table. */
  t: Translate;
  /** True for the user's own message. */
  mine: boolean;
  /** A price in the element's locale. */
  formatPrice(money: Money): string;
  /** A time in the element's locale. */
  formatTime(ts: number): string;
  /** The URL if safe to render as a link or image (http(s) or '/path'), else null. */
  safeUrl(url: unknown): string | null;
  /** Dispatch a bubbling, composed parley-* event from the chat element. */
  emit<K extends ParleyEventName>(name: K, detail: ParleyEventMap[K]): boolean;
}

/**
 * Renders one message's content inside its bubble. Return a Lit TemplateResult (text bindings
 * escape; never use unsafeHTML with message data) or an HTMLElement (the host builds it; set its
 * text with textContent, not innerHTML). The element re-renders on every change of the message list.
 */
export type TemplateRenderer = (message: LocalMessage, ctx: TemplateContext) => TemplateResult | HTMLElement | null | undefined;
