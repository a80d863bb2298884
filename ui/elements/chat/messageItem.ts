/** One message: its bubble (drawn by the template registry), time, and for own messages the state and actions. */
import { html, nothing, type TemplateResult } from 'lit';
import type { LocalMessage } from '../../../worker/protocol';
import type { MessageKey } from '../../i18n/locale';
import { fallbackTemplate, resolveTemplate } from '../../templates/registry';
import type { TemplateContext } from '../../templates/types';

export interface MessageActions {
  resend(message: LocalMessage): void;
  delete(message: LocalMessage): void;
  recall(message: LocalMessage): void;
  deleteForMe(message: LocalMessage): void;
  /** Whether an own sent message may still be recalled (the server has the last word). */
  canRecall(message: LocalMessage): boolean;
}

function content(message: LocalMessage, ctx: TemplateContext): unknown {
  const renderer = resolveTemplate(String(message.content?.type ?? ''));
  try {
    return renderer?.(message, ctx) ?? nothing;
  } catch (err) {
    // A host renderer that throws must not take the whole list down with it.
    console.error('parley: template for', message.content?.type, 'failed', err);
    return fallbackTemplate()?.(message, ctx) ?? nothing;
  }
}

export function messageItem(message: LocalMessage, ctx: TemplateContext, actions: MessageActions): TemplateResult {
  const mine = ctx.mine;
  const who = mine ? 'mine' : 'theirs';
  const time = ctx.formatTime(message.serverTs ?? message.createdAt);
  const failed = message.state === 'failed';
  const stored = message.seq !== null && message.content?.type !== 'recalled';
  return html`<li
    part="message message-${who}"
    class="message ${who} ${message.state}"
    data-message-id=${message.id}
    data-state=${message.state}
  >
    <span class="sr-only">${ctx.t(mine ? 'message.mine' : 'message.theirs')}:</span>
    <div part="bubble bubble-${who}" class="bubble">${content(message, ctx)}</div>
    <div class="meta">
      <time part="message-time">${time}</time>
      ${mine
        ? html`<span part="message-state" class="state" data-state=${message.state}>${ctx.t(`state.${message.state}` as MessageKey)}</span>`
        : nothing}
      ${failed
        ? html`<button type="button" part="resend-button" class="action" aria-label=${ctx.t('message.resend')}
              @click=${() => actions.resend(message)}>${ctx.t('message.resend')}</button>
            <button type="button" part="delete-button" class="action" aria-label=${ctx.t('message.delete')}
              @click=${() => actions.delete(message)}>${ctx.t('message.delete')}</button>`
        : nothing}
      ${stored
        ? html`<span class="message-actions">${mine && actions.canRecall(message)
              ? html`<button type="button" part="recall-button" class="action" aria-label=${ctx.t('message.recall')}
                  @click=${() => actions.recall(message)}>${ctx.t('message.recall')}</button>`
              : nothing}<button type="button" part="delete-for-me-button" class="action" aria-label=${ctx.t('message.deleteForMe')}
              @click=${() => actions.deleteForMe(message)}>${ctx.t('message.deleteForMe')}</button></span>`
        : nothing}
    </div>
  </li>`;
}
