/**
 * The composer: textarea, send button, and the optional emoji / image / voice / more controls,
 * with the image picker's hidden file input and the voice recorder's panel.
 */
import { html, nothing, type SVGTemplateResult, type TemplateResult } from 'lit';
import { ICONS } from '../../icons';
import type { ChatConfig, MoreItem } from '../../config';
import type { Translate } from '../../i18n/locale';
import { safeUrl } from '../../safeUrl';
import { recorderPanel, type RecorderPanelProps } from './recorderPanel';

/** schema/content.ts MAX_TEXT_CHARS; not imported, so the kit's bundle does not pull in valibot. */
export const MAX_TEXT_CHARS = 8000;

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
  /** The voice recorder's state (status 'idle' when not recording). */
  recorder: Omit<RecorderPanelProps, 't'>;
  /** Images are being prepared (compressed) before they show up as messages. */
  preparingImages: boolean;
  /** Files chosen in the image picker. */
  onImagesPicked(e: Event): void;
  /** A paste into the textarea (images in it are sent). */
  onPaste(e: ClipboardEvent): void;
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

function toggle(p: ComposerProps, which: 'emoji' | 'more', part: string, label: string, glyph: SVGTemplateResult): TemplateResult {
  return html`<button type="button" part=${part} class="tool" aria-label=${label} aria-expanded=${p.panel === which ? 'true' : 'false'}
    @click=${() => p.onTogglePanel(which)}>${glyph}</button>`;
}

export function composer(p: ComposerProps): TemplateResult {
  const { t, config } = p;
  const f = config.features;
  const recording = p.recorder.status !== 'idle';
  return html`<div part="composer" class="composer">
    ${recording ? recorderPanel({ t, ...p.recorder }) : panel(p)}
    ${p.preparingImages ? html`<div part="composer-note" class="composer-note" role="status">${t('composer.preparingImage')}</div>` : nothing}
    <div class="tools">
      ${f.emoji ? toggle(p, 'emoji', 'emoji-button', t('composer.emoji'), ICONS.smile) : nothing}
      ${f.image
        ? html`<button type="button" part="image-button" class="tool" aria-label=${t('composer.image')} ?disabled=${p.disabled}
              @click=${() => p.onFeature('image')}>${ICONS.image}</button>
            <input type="file" part="image-input" class="file-input" accept="image/*" multiple hidden tabindex="-1"
              aria-label=${t('composer.imageInput')} @change=${p.onImagesPicked} />`
        : nothing}
      ${f.voice
        ? html`<button type="button" part="voice-button" class="tool" aria-label=${t('composer.voice')} ?disabled=${p.disabled}
            aria-expanded=${recording ? 'true' : 'false'} @click=${() => p.onFeature('voice')}>${ICONS.mic}</button>`
        : nothing}
      ${config.more.length ? toggle(p, 'more', 'more-button', t('composer.more'), ICONS.plus) : nothing}
    </div>
    <div class="input-row">
      <textarea part="input" class="input" rows="1" aria-label=${t('composer.label')} placeholder=${t('composer.placeholder')}
        maxlength=${MAX_TEXT_CHARS} .value=${p.draft} ?disabled=${p.disabled} @input=${p.onInput} @keydown=${p.onKeyDown}
        @paste=${p.onPaste}></textarea>
      <button type="button" part="send-button" class="send" aria-label=${t('composer.send')}
        ?disabled=${p.disabled || !p.draft.trim()} @click=${p.onSend}>${t('composer.send')}</button>
    </div>
  </div>`;
}
