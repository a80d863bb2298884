/**
 * The chat's image viewer: a native modal `<dialog>` (focus trapped, the page inert, in the top
 * layer, so it escapes the widget panel's overflow). The thumbnail, already loaded, fills the box
 * at once and the full image paints over it as it arrives; the box has its final size from the
 * start. Esc (the dialog's own cancel), the close button or a click on the backdrop close it, and
 * focus returns to what opened it.
 */
import { css, html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import { ICONS } from '../../icons';
import type { Translate } from '../../i18n/locale';
import type { ImageView } from '../../templates/types';

export interface LightboxMedia {
  url(ref: unknown, slot?: string): string | null;
  error(ref: unknown): string | null;
  failed(ref: unknown): void;
}

type Host = ReactiveControllerHost & { readonly renderRoot: HTMLElement | DocumentFragment };

export class Lightbox implements ReactiveController {
  /** What is shown; null when closed. */
  view: ImageView | null = null;
  private opener: HTMLElement | null = null;

  constructor(private readonly host: Host) {
    host.addController(this);
  }

  /** Show `view`; focus goes back to `opener` (default: whatever has focus now) on close. */
  open(view: ImageView, opener?: HTMLElement | null): void {
    this.view = view;
    this.opener = opener ?? deepActiveElement();
    this.host.requestUpdate();
  }

  close(): void {
    if (!this.view) return;
    const dialog = this.dialog;
    if (dialog?.open) dialog.close(); // the 'close' event does the rest
    else this.closed();
  }

  hostUpdated(): void {
    const dialog = this.dialog;
    if (this.view && dialog && !dialog.open) dialog.showModal();
  }

  hostDisconnected(): void {
    this.view = null;
    this.opener = null;
  }

  private get dialog(): HTMLDialogElement | null {
    return this.host.renderRoot.querySelector<HTMLDialogElement>('dialog.lightbox');
  }

  private closed(): void {
    const opener = this.opener;
    this.view = null;
    this.opener = null;
    this.host.requestUpdate();
    if (opener?.isConnected) opener.focus();
  }

  private readonly onClick = (e: MouseEvent): void => {
    // The dialog spans the viewport around the picture: a click on it, not on the picture, is a
    // click on the backdrop.
    if (e.target === e.currentTarget) this.close();
  };

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    // The dialog closes itself on Esc; an enclosing widget must not also close its panel.
    if (e.key === 'Escape') e.stopPropagation();
  };

  render(t: Translate, media: LightboxMedia): unknown {
    const v = this.view;
    if (!v) return nothing;
    const w = dimension(v.width);
    const h = dimension(v.height);
    const alt = v.alt || t('message.image');
    const slot = v.messageId ? `${v.messageId}:full` : undefined;
    const full = media.url(v.url, slot);
    const thumb = v.thumbUrl ? media.url(v.thumbUrl) : null;
    const error = full ? null : media.error(v.url);
    return html`<dialog part="lightbox" class="lightbox" aria-label=${alt} @close=${() => this.closed()} @click=${this.onClick}
      @keydown=${this.onKeyDown}>
      <figure class="lightbox-figure" style=${styleMap({ '--_iw': String(w), '--_ih': String(h) })}>
        ${thumb ? html`<img class="lightbox-thumb" src=${thumb} alt="" aria-hidden="true" />` : nothing}
        ${full
          ? html`<img part="lightbox-image" class="lightbox-image" src=${full} alt=${alt} width=${w} height=${h} decoding="async"
              @load=${(e: Event) => (e.currentTarget as HTMLElement).toggleAttribute('data-loaded', true)}
              @error=${(e: Event) => {
                (e.currentTarget as HTMLElement).removeAttribute('data-loaded');
                media.failed(v.url);
              }} />`
          : nothing}
        ${error
          ? html`<figcaption class="lightbox-note" role="alert">${t('message.imageUnavailable')}</figcaption>`
          : full
            ? nothing
            : html`<figcaption class="lightbox-note" role="status">${t('viewer.loading')}</figcaption>`}
      </figure>
      <button type="button" part="lightbox-close" class="lightbox-close" aria-label=${t('viewer.close')} autofocus
        @click=${() => this.close()}>${ICONS.close}</button>
    </dialog>`;
  }
}

function dimension(n: unknown): number {
  const v = Number(n);
  return Number.isFinite(v) && v >= 1 ? Math.round(v) : 1;
}

/** The focused element, looking inside shadow roots (document.activeElement stops at the first host). */
function deepActiveElement(): HTMLElement | null {
  let el: Element | null = typeof document === 'undefined' ? null : document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el instanceof HTMLElement ? el : null;
}

export const lightboxStyles = css`
  .lightbox {
    inline-size: 100vw;
    block-size: 100vh;
    block-size: 100dvh;
    max-inline-size: none;
    max-block-size: none;
    margin: 0;
    padding: 0;
    border: none;
    background: transparent;
    overflow: hidden;
  }
  .lightbox[open] {
    display: grid;
    place-items: center;
  }
  .lightbox::backdrop {
    background: var(--parley-lightbox-backdrop, rgb(0 0 0 / 0.85));
  }
  .lightbox-figure {
    position: relative;
    margin: 0;
    inline-size: min(94vw, calc(88vh * var(--_iw) / var(--_ih)), calc(var(--_iw) * 1px));
    aspect-ratio: var(--_iw) / var(--_ih);
  }
  .lightbox-figure img {
    position: absolute;
    inset: 0;
    inline-size: 100%;
    block-size: 100%;
    object-fit: contain;
  }
  .lightbox-note {
    position: absolute;
    inset-inline: 0;
    inset-block-end: -2em;
    text-align: center;
    color: #fff;
    font-size: 0.9em;
  }
  .lightbox-close {
    position: fixed;
    inset-block-start: 12px;
    inset-inline-end: 12px;
    inline-size: 2.5em;
    block-size: 2.5em;
    border: none;
    border-radius: 50%;
    background: rgb(255 255 255 / 0.15);
    color: #fff;
    font-size: 1.1em;
  }
`;
