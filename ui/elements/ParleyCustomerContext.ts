/**
 * `<parley-customer-context conversation-id="...">`, beside an agent's chat: the products and orders
 * sent as cards in this conversation (newest first; a click fires the same parley-product-click /
 * parley-order-click events as the chat), and the shop's own data about the customer through a
 * host hook: `el.context = async (conversationId) => ({ title, fields: [{ label, value, url? }] })`.
 * The kit renders what the hook returns as text (and links only from safe URLs).
 */
import { css, html, nothing, type PropertyDeclarations } from 'lit';
import type { OrderContent, ProductContent } from '../../schema/content';
import type { LocalMessage } from '../../worker/protocol';
import { MessagesController } from '../controllers/MessagesController';
import { emit } from '../events';
import { formatPrice } from '../i18n/format';
import { safeUrl } from '../safeUrl';
import { themeStyles } from '../theme';
import { ParleyElement } from './ParleyElement';

/** What a host's context hook returns for a conversation (null: nothing to show). */
export interface CustomerContext {
  title?: string;
  fields: { label: string; value: string; url?: string }[];
}
export type CustomerContextHook = (conversationId: string) => Promise<CustomerContext | null> | CustomerContext | null;

/** Messages the cards are looked for in: the conversation's latest. */
const SCANNED = 200;

export class ParleyCustomerContext extends ParleyElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
        padding: var(--_gap);
        font-size: 0.9em;
      }
      h2,
      h3 {
        font-size: 1em;
        margin: var(--_gap) 0 4px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li button {
        width: 100%;
        text-align: start;
        background: none;
        border: 1px solid var(--_border);
        border-radius: 6px;
        padding: 4px 8px;
        margin-bottom: 4px;
        color: inherit;
        font: inherit;
      }
      .kind,
      .empty {
        color: var(--_muted);
      }
      dl {
        margin: 0;
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 2px var(--_gap);
      }
      dt {
        color: var(--_muted);
      }
      dd {
        margin: 0;
      }
    `,
  ];
  static override properties: PropertyDeclarations = {
    conversationId: { type: String, attribute: 'conversation-id', reflect: true },
    context: { attribute: false },
    hostData: { state: true },
  };

  declare conversationId: string | null;
  /** The host's hook: the shop's own data about this conversation's customer. */
  declare context: CustomerContextHook | null;
  private declare hostData: CustomerContext | null;
  private asked: { id: string | null; hook: CustomerContextHook | null } = { id: null, hook: null };

  private readonly live = new MessagesController(this, () => ({ client: this.client, conversationId: this.conversationId, pageSize: SCANNED }));

  constructor() {
    super();
    this.conversationId = null;
    this.context = null;
    this.hostData = null;
  }

  /** The cards sent here, newest first. */
  get cards(): LocalMessage[] {
    return this.live.messages.filter((m) => m.content.type === 'product' || m.content.type === 'order').reverse();
  }

  protected override willUpdate(): void {
    if (this.asked.id === this.conversationId && this.asked.hook === this.context) return;
    this.asked = { id: this.conversationId, hook: this.context };
    this.hostData = null;
    const id = this.conversationId;
    const hook = this.context;
    if (!id || !hook) return;
    Promise.resolve()
      .then(() => hook(id))
      .then(
        (data) => {
          if (this.asked.id === id && this.asked.hook === hook) this.hostData = data ?? null;
        },
        (err: unknown) => console.error('parley: the customer context hook failed', err),
      );
  }

  private card(m: LocalMessage): unknown {
    const locale = this.effectiveLocale;
    if (m.content.type === 'product') {
      const c = m.content as ProductContent;
      return html`<li><button type="button" part="context-card" @click=${() => emit(this, 'parley-product-click', { productId: String(c.productId), url: safeUrl(c.url), messageId: m.id })}>
        <span class="kind">${this.t('card.product')}</span> ${c.title} · ${c.price ? formatPrice(c.price, locale) : ''}
      </button></li>`;
    }
    const c = m.content as OrderContent;
    return html`<li><button type="button" part="context-card" @click=${() => emit(this, 'parley-order-click', { orderId: String(c.orderId), url: safeUrl(c.url), messageId: m.id })}>
      <span class="kind">${this.t('card.order', { id: String(c.orderId) })}</span> ${this.t('card.status', { status: String(c.status ?? '') })}
      · ${c.total ? formatPrice(c.total, locale) : ''}
    </button></li>`;
  }

  protected override render(): unknown {
    const t = this.t;
    if (!this.conversationId) return nothing;
    const cards = this.cards;
    const host = this.hostData;
    return html`<section part="context" aria-label=${t('context.label')}>
      <h2>${t('context.label')}</h2>
      ${host
        ? html`<div part="context-host">
            ${host.title ? html`<h3>${host.title}</h3>` : nothing}
            <dl>
              ${host.fields.map((f) => {
                const url = f.url ? safeUrl(f.url) : null;
                return html`<dt>${f.label}</dt><dd>${url ? html`<a href=${url} target="_blank" rel="noopener noreferrer">${f.value}</a>` : f.value}</dd>`;
              })}
            </dl>
          </div>`
        : nothing}
      <h3>${t('context.cards')}</h3>
      ${cards.length > 0 ? html`<ul part="context-cards">${cards.map((m) => this.card(m))}</ul>` : html`<p class="empty">${t('context.none')}</p>`}
    </section>`;
  }
}
