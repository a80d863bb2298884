/**
 * Quick replies in the composer: typing `/` and a few letters lists the shop's saved replies whose
 * shortcut starts with them (or whose text holds them); arrows move, Enter or Tab inserts, Escape
 * closes. Only an agent's chat has any.
 */
import { html, type TemplateResult } from 'lit';
import type { QuickReply } from '../../../schema/desk';
import type { Translate } from '../../i18n/locale';

/** Replies listed at most. */
const SHOWN = 8;

/** The replies a draft asks for: null when it does not start with `/`. */
export function quickReplyMatches(draft: string, replies: readonly QuickReply[]): QuickReply[] | null {
  if (!draft.startsWith('/') || draft.includes('\n')) return null;
  const q = draft.slice(1).trim().toLowerCase();
  const byShortcut = replies.filter((r) => r.shortcut.toLowerCase().startsWith(q));
  const byText = replies.filter((r) => !byShortcut.includes(r) && r.text.toLowerCase().includes(q));
  return [...byShortcut, ...byText].slice(0, SHOWN);
}

export function quickReplyList(t: Translate, matches: readonly QuickReply[], active: number, pick: (r: QuickReply) => void): TemplateResult {
  return html`<div part="quick-replies" class="quick-replies">
    ${matches.length === 0
      ? html`<p class="quick-none" role="status">${t('desk.noQuickReply')}</p>`
      : html`<ul role="listbox" aria-label=${t('desk.quickReplies')}>
          ${matches.map(
            (r, i) => html`<li role="option" id=${`qr-${i}`} part="quick-reply" aria-selected=${i === active ? 'true' : 'false'}
              @mousedown=${(e: Event) => e.preventDefault()} @click=${() => pick(r)}>
              <span class="quick-shortcut">/${r.shortcut}</span> <span class="quick-text">${r.text}</span>
            </li>`,
          )}
        </ul>`}
  </div>`;
}

