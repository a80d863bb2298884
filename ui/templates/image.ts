/**
 * An image message: a thumbnail button at its final display size from the first frame (the box
 * comes from the content's width/height, fitted by CSS into --parley-image-max-width/-height, so
 * nothing below moves when it loads), a placeholder colour until it does, and a click (or
 * Enter/Space) opening the full image in the chat's viewer. Own pending images carry the upload bar.
 */
import { html, nothing } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { ImageContent } from '../../schema/content';
import type { TemplateRenderer } from './types';
import { uploadBar } from './uploadBar';

function dimension(n: unknown): number {
  const v = Number(n);
  return Number.isFinite(v) && v >= 1 ? Math.round(v) : 1;
}

export const image: TemplateRenderer = (m, ctx) => {
  const c = m.content as ImageContent;
  const w = dimension(c.width);
  const h = dimension(c.height);
  const thumbRef: unknown = c.thumbUrl || c.url;
  const src = ctx.mediaUrl(thumbRef, `${m.id}:thumb`);
  const error = src ? null : ctx.mediaError(thumbRef);
  const alt = ctx.t('message.image');
  const open = (e: Event) => {
    if (error) ctx.mediaRetry(thumbRef);
    ctx.openImage(
      { url: String(c.url ?? ''), thumbUrl: typeof thumbRef === 'string' ? thumbRef : undefined, width: w, height: h, alt, messageId: m.id },
      e.currentTarget as HTMLElement,
    );
  };
  return html`<div part="image-frame" class="image-frame" style=${styleMap({ '--_iw': String(w), '--_ih': String(h) })}
    data-status=${src ? 'ready' : error ? 'error' : 'loading'}>
    <button type="button" part="image-open" class="image-open" aria-label=${ctx.t('message.imageOpen')} @click=${open}>
      ${src
        ? html`<img part="image" class="image" src=${src} alt=${alt} width=${w} height=${h} decoding="async" loading="lazy"
            @error=${() => ctx.mediaFailed(thumbRef)} />`
        : error
          ? html`<span class="image-error">${ctx.t('message.imageUnavailable')}</span>`
          : nothing}
    </button>
    ${uploadBar(m, ctx)}
  </div>`;
};
