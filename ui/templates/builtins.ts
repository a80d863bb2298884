/**
 * The kit's own renderers: text, image (./image.ts), voice (./voice.ts), product and order cards,
 * and the fallback for content types this build does not know. Message data only ever goes
 * through Lit's text and attribute bindings; link URLs only through ctx.safeUrl, media refs only
 * through ctx.mediaUrl.
 */
import { html, nothing } from 'lit';
import type { OrderContent, ProductContent, TextContent } from '../../schema/content';
import { image } from './image';
import { registerBuiltinTemplate, setFallbackTemplate } from './registry';
import type { TemplateContext, TemplateRenderer } from './types';
import { voice } from './voice';

/** A click the browser should handle itself (new tab, download...): the kit only takes plain clicks. */
function isModified(e: MouseEvent): boolean {
  return e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey;
}

/**
 * dir="auto" and bidi isolation: a message in Arabic or Hebrew reads right to left, and one
 * carrying an override (U+202E) cannot flip the time, state or buttons drawn after it.
 */
const text: TemplateRenderer = (m) => html`<span class="text" dir="auto">${String((m.content as TextContent).text ?? '')}</span>`;

/** A card: a link when the URL is safe (plain clicks become an event), else a button. */
function card(kind: 'product' | 'order', label: string, url: string | null, onActivate: () => void, body: unknown) {
  const onClick = (e: MouseEvent) => {
    if (url && isModified(e)) return;
    e.preventDefault();
    onActivate();
  };
  return url
    ? html`<a part="card card-${kind}" class="card" href=${url} aria-label=${label} @click=${onClick}>${body}</a>`
    : html`<button type="button" part="card card-${kind}" class="card" aria-label=${label} @click=${onClick}>${body}</button>`;
}

/** A card's picture, only from where config.cardImageOrigins allows; it tells its host nothing of the page. */
function cardImage(ctx: TemplateContext, url: unknown) {
  const src = ctx.cardImageUrl(url);
  return src ? html`<img part="card-image" class="card-image" src=${src} alt="" loading="lazy" referrerpolicy="no-referrer" />` : nothing;
}

const product: TemplateRenderer = (m, ctx) => {
  const c = m.content as ProductContent;
  const url = ctx.safeUrl(c.url);
  const title = String(c.title ?? '');
  const price = c.price ? ctx.formatPrice(c.price) : '';
  const body = html`${cardImage(ctx, c.imageUrl)}<span class="card-body">
      <span class="card-kind">${ctx.t('card.product')}</span>
      <span part="card-title" class="card-title">${title}</span>
      <span part="card-price" class="card-price">${price}</span>
    </span>`;
  const activate = () => ctx.emit('parley-product-click', { productId: String(c.productId), url, messageId: m.id });
  return card('product', `${ctx.t('card.product')}: ${title} ${price}`, url, activate, body);
};

const order: TemplateRenderer = (m, ctx) => {
  const c = m.content as OrderContent;
  const url = ctx.safeUrl(c.url);
  const heading = ctx.t('card.order', { id: String(c.orderId) });
  const total = c.total ? ctx.formatPrice(c.total) : '';
  const body = html`${cardImage(ctx, c.imageUrl)}<span class="card-body">
      <span class="card-kind">${heading}</span>
      ${c.title ? html`<span part="card-title" class="card-title">${c.title}</span>` : nothing}
      <span class="card-meta">${ctx.t('card.status', { status: String(c.status ?? '') })}${typeof c.itemCount === 'number'
        ? html` · ${ctx.t('card.items', { count: c.itemCount })}`
        : nothing}</span>
      <span part="card-price" class="card-price">${total}</span>
    </span>`;
  const activate = () => ctx.emit('parley-order-click', { orderId: String(c.orderId), url, messageId: m.id });
  return card('order', `${heading} ${total}`, url, activate, body);
};

/** A recalled message: the placeholder every device shows in its place. */
const recalled: TemplateRenderer = (_m, ctx) =>
  html`<span part="recalled" class="recalled">${ctx.t(ctx.mine ? 'message.recalledMine' : 'message.recalled')}</span>`;

const unsupported: TemplateRenderer = (_m, ctx) => html`<span part="unsupported" class="unsupported">${ctx.t('message.unsupported')}</span>`;

let installed = false;

/** Register the built-in renderers (idempotent; index.ts calls it). */
export function installBuiltinTemplates(): void {
  if (installed) return;
  installed = true;
  registerBuiltinTemplate('text', text);
  registerBuiltinTemplate('image', image);
  registerBuiltinTemplate('voice', voice);
  registerBuiltinTemplate('product', product);
  registerBuiltinTemplate('order', order);
  registerBuiltinTemplate('recalled', recalled);
  setFallbackTemplate(unsupported);
}
