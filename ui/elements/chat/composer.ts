/** The composer: textarea, send button, and the optional emoji / image / voice / more controls. */
import { html, nothing, type TemplateResult } from 'lit';
import type { ChatConfig, MoreItem } from '../../config';
import type { Translate } from '../../i18n/locale';
import { safeUrl } from '../../safeUrl';

/** schema/content.ts MAX_TEXT_CHARS; not imported, so the kit's bundle does not pull in valibot. */
const MAX_TEXT_CHARS = 8000;

export const EMOJI = ['😀', '😂', '😊', '😍', '🤔', '😢', '😮', '😡', '👍', '👎', '👏', '🙏', '❤️', '🎉', '🔥', '✅', '❓', '👌', '🙂', '😅', '🤝', '📦', '🚚', '💰'];

export interface ComposerProps {
  t: Translate;
  config: ChatConfig;
  draft: string;
  disabled: boolean;
  panel: 'emoji' | 'more' | null;
  onInput(e: InputEvent): void;
  onKeyDown(e: KeyboardEvent): void;
  onSend(): void;
  onTogglePanel(panel: 'emoji' | 'more'): void;
  onEmoji(emoji: string): void;
  onFeature(feature: 'image' | 'voice'): void;
  onMoreItem(item: MoreItem): void;
}

function icon(value: string): unknown {
  const src = safeUrl(value);
  return src ? html`<img class="icon" src=${src} alt="" />` : html`<span class="icon" aria-hidden="true">${value}</span>`;
}

function panel(p: ComposerProps): unknown {
  if (p.panel === 'emoji') {
    return html`<div part="emoji-panel" class="panel emoji-panel" role="group" aria-label=${p.t('composer.emojiPanel')}>
      ${EMOJI.map((e) => html`<button type="button" part="emoji" class="emoji" aria-label=${e} @click=${() => p.onEmoji(e)}>${e}</button>`)}
    </div>`;
  }
  if (p.panel === 'more') {
    return html`<div part="more-panel" class="panel more-panel" role="group" aria-label=${p.t('composer.morePanel')}>
      ${p.config.more.map(
        (item) => html`<button type="button" part="more-item" class="more-item" data-id=${item.id} aria-label=${item.label}
          ?disabled=${!item.callback} @click=${() => p.onMoreItem(item)}>${icon(item.icon)}<span>${item.label}</span></button>`,
      )}
    </div>`;
  }
  return nothing;
}

function toggle(p: ComposerProps, which: 'emoji' | 'more', part: string, label: string, glyph: string): TemplateResult {
  return html`<button type="button" part=${part} class="tool" aria-label=${label} aria-expanded=${p.panel === which ? 'true' : 'false'}
    @click=${() => p.onTogglePanel(which)}>${glyph}</button>`;
}

export function composer(p: ComposerProps): TemplateResult {
  const { t, config } = p;
  const f = config.features;
  return html`<div part="composer" class="composer">
    ${panel(p)}
    <div class="tools">
      ${f.emoji ? toggle(p, 'emoji', 'emoji-button', t('composer.emoji'), '☺') : nothing}
      ${f.image
        ? html`<button type="button" part="image-button" class="tool" aria-label=${t('composer.image')} @click=${() => p.onFeature('image')}>🖼</button>`
        : nothing}
      ${f.voice
        ? html`<button type="button" part="voice-button" class="tool" aria-label=${t('composer.voice')} @click=${() => p.onFeature('voice')}>🎤</button>`
        : nothing}
      ${config.more.length ? toggle(p, 'more', 'more-button', t('composer.more'), '＋') : nothing}
    </div>
    <div class="input-row">
      <textarea part="input" class="input" rows="1" aria-label=${t('composer.label')} placeholder=${t('composer.placeholder')}
        maxlength=${MAX_TEXT_CHARS} .value=${p.draft} ?disabled=${p.disabled} @input=${p.onInput} @keydown=${p.onKeyDown}></textarea>
      <button type="button" part="send-button" class="send" aria-label=${t('composer.send')}
        ?disabled=${p.disabled || !p.draft.trim()} @click=${p.onSend}>${t('composer.send')}</button>
    </div>
  </div>`;
}
