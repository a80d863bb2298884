/**
 * `<parley-chat-widget shop-id="...">`: a floating button (bottom-right) with the total unread
 * count, opening a panel with `<parley-chat>` for the customer's conversation with that shop (found
 * or opened by ShopConversationController, also when the panel was opened before the client came).
 */
import { css, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { ChatConfigInput } from '../config';
import { ICONS } from '../icons';
import { ConversationsController } from '../controllers/ConversationsController';
import { ShopConversationController } from '../controllers/ShopConversationController';
import { emit } from '../events';
import { themeStyles } from '../theme';
import type { ParleyChat } from './ParleyChat';
import { ParleyElement } from './ParleyElement';

/** Every part of the inner chat, re-exported so `parley-chat-widget::part(bubble)` works. */
const CHAT_PARTS = [
  'status', 'message-list', 'message', 'message-mine', 'message-theirs', 'bubble', 'bubble-mine', 'bubble-theirs',
  'message-time', 'message-state', 'resend-button', 'delete-button', 'load-older-button', 'retry-button', 'card',
  'card-product', 'card-order', 'card-image', 'card-title', 'card-price', 'image', 'image-frame', 'image-open',
  'upload-progress', 'voice', 'voice-play', 'voice-progress', 'voice-time', 'unsupported', 'lightbox', 'lightbox-image',
  'lightbox-close', 'composer', 'composer-note', 'notice', 'input', 'send-button', 'emoji-button', 'emoji-panel', 'emoji',
  'image-button', 'image-input', 'voice-button', 'voice-recorder', 'voice-timer', 'voice-cancel', 'voice-send',
  'more-button', 'more-panel', 'more-item', 'presence', 'typing', 'recall-button', 'delete-for-me-button', 'recalled', 'quick-replies', 'quick-reply',
].join(', ');

export class ParleyChatWidget extends ParleyElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        position: fixed;
        right: var(--parley-widget-offset, 20px);
        bottom: var(--parley-widget-offset, 20px);
        z-index: var(--parley-widget-z-index, 2147483000);
      }
      .launcher {
        position: relative;
        width: 56px;
        height: 56px;
        border: none;
        border-radius: 50%;
        background: var(--_accent);
        color: var(--_accent-text);
        font-size: 24px;
        box-shadow: 0 4px 14px rgb(0 0 0 / 0.25);
      }
      .launcher .badge {
        position: absolute;
        top: -4px;
        right: -4px;
      }
      .panel {
        position: absolute;
        right: 0;
        bottom: 68px;
        width: min(var(--parley-widget-width, 360px), calc(100vw - 2 * var(--parley-widget-offset, 20px)));
        height: min(var(--parley-widget-height, 560px), calc(100vh - 100px));
        display: flex;
        flex-direction: column;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        box-shadow: 0 8px 30px rgb(0 0 0 / 0.2);
        overflow: hidden;
      }
      .panel[hidden] {
        display: none;
      }
      .header {
        display: flex;
        align-items: center;
        justify-content: space-between;
        padding: var(--_gap) calc(var(--_gap) * 1.5);
        background: var(--_accent);
        color: var(--_accent-text);
        font-weight: 600;
      }
      .close {
        background: none;
        border: none;
        font-size: 1.2em;
        color: inherit;
      }
      parley-chat {
        flex: 1;
        min-height: 0;
      }
      .note {
        margin: auto;
        padding: calc(var(--_gap) * 2);
        color: var(--_muted);
        text-align: center;
      }
    `,
  ];
  static override properties: PropertyDeclarations = {
    shopId: { type: String, attribute: 'shop-id', reflect: true },
    open: { type: Boolean, reflect: true },
    heading: { type: String },
    config: { attribute: false },
  };

  /** The shop the customer talks to. */
  declare shopId: string | null;
  /** Whether the panel is open (attribute `open`; or call show()/hide()/toggle()). */
  declare open: boolean;
  /** Panel title; default: the locale's "Chat with us". */
  declare heading: string;
  /** Passed to the inner `<parley-chat>` (see ChatConfig). */
  declare config: ChatConfigInput | null;

  private readonly list = new ConversationsController(this, () => this.client);
  private readonly conversation = new ShopConversationController(
    this,
    () => ({ client: this.client, shopId: this.shopId, conversations: this.list.conversations, wanted: this.open }),
    (info) => emit(this, 'parley-error', { action: 'open', ...info }),
  );

  constructor() {
    super();
    this.shopId = null;
    this.open = false;
    this.heading = '';
    this.config = null;
  }

  /** The customer's conversation with the shop, once known (null before). */
  get conversationId(): string | null {
    return this.conversation.id;
  }

  /** Unread messages over all the user's conversations (what the button shows). */
  get totalUnread(): number {
    return this.list.totalUnread;
  }

  /**
   * Open the panel; resolves with the conversation id, or null if it could not be had yet (no
   * client, or the attempt failed): the panel then keeps trying as the client connects.
   */
  async show(): Promise<string | null> {
    this.open = true;
    return this.conversation.resolve();
  }

  /** Close the panel. */
  hide(): void {
    this.open = false;
  }

  /** Open if closed, close if open. */
  toggle(): void {
    if (this.open) this.hide();
    else void this.show();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('open') || (changed.get('open') === undefined && !this.open)) return;
    emit(this, 'parley-open-change', { open: this.open, conversationId: this.conversationId });
    if (this.open) {
      // Reopening after a failure asks again; a first open is also picked up by the controller.
      void this.conversation.resolve();
      void this.updateComplete.then(() => this.renderRoot.querySelector<ParleyChat>('parley-chat')?.focus());
    }
  }

  private onKeyDown = (e: KeyboardEvent): void => {
    if (e.key !== 'Escape' || !this.open) return;
    this.hide();
    this.renderRoot.querySelector<HTMLButtonElement>('.launcher')?.focus();
  };

  private renderBody(): unknown {
    const t = this.t;
    if (this.conversationId) {
      return html`<parley-chat exportparts=${CHAT_PARTS} .client=${this.client} conversation-id=${this.conversationId}
        .config=${this.config} locale=${this.locale || this.getAttribute('lang') || nothing}></parley-chat>`;
    }
    if (this.conversation.error) {
      return html`<div class="note" role="alert">
        <p>${t('widget.error', { code: this.conversation.error })}</p>
        <button type="button" part="retry-button" aria-label=${t('widget.retry')} @click=${() => void this.conversation.resolve()}>
          ${t('widget.retry')}
        </button>
      </div>`;
    }
    return html`<p class="note" role="status">${t('widget.opening')}</p>`;
  }

  protected override render(): unknown {
    const t = this.t;
    const unread = this.list.totalUnread;
    const label = [this.open ? t('widget.close') : t('widget.open'), unread ? t('widget.unread', { count: unread }) : '']
      .filter(Boolean)
      .join(', ');
    const title = this.heading || t('widget.title');
    return html`<div @keydown=${this.onKeyDown}>
      <section id="panel" part="panel" class="panel" role="dialog" aria-label=${title} ?hidden=${!this.open}>
        <div part="header" class="header">
          <span>${title}</span>
          <button type="button" part="close-button" class="close" aria-label=${t('widget.close')} @click=${() => this.hide()}>${ICONS.close}</button>
        </div>
        ${this.open ? this.renderBody() : nothing}
      </section>
      <button type="button" part="launcher" class="launcher" aria-label=${label} aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="panel" @click=${() => this.toggle()}>
        <span aria-hidden="true">${this.open ? ICONS.close : ICONS.chat}</span>
        ${unread ? html`<span part="unread-badge" class="badge" aria-hidden="true">${unread > 99 ? '99+' : unread}</span>` : nothing}
      </button>
    </div>`;
  }
}
