/**
 * `<parley-conversation-list>`: the user's conversations by last activity, each with its unread
 * badge and a preview of the last message. Choosing one (click, Enter or Space) dispatches
 * `parley-conversation-select` {conversationId} and marks it selected.
 */
import { css, html, nothing, type PropertyDeclarations } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { LocalConversation } from '../../worker/protocol';
import { ConversationsController } from '../controllers/ConversationsController';
import { emit } from '../events';
import { formatTime, previewText } from '../i18n/format';
import { themeStyles } from '../theme';
import { ParleyElement } from './ParleyElement';

export class ParleyConversationList extends ParleyElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: block;
        background: var(--_bg);
        overflow-y: auto;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .item {
        position: relative; /* holds the screen-reader-only unread count */
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 2px var(--_gap);
        width: 100%;
        padding: var(--_gap) calc(var(--_gap) * 1.5);
        border: none;
        border-bottom: 1px solid var(--_border);
        background: none;
        text-align: start;
      }
      .item[aria-current='true'] {
        background: var(--_theirs-bg);
      }
      .title {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .time,
      .preview {
        font-size: 0.85em;
        color: var(--_muted);
      }
      .preview {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .empty {
        padding: calc(var(--_gap) * 2);
        color: var(--_muted);
        text-align: center;
      }
    `,
  ];
  static override properties: PropertyDeclarations = {
    selectedId: { type: String, attribute: 'selected-id', reflect: true },
    limit: { type: Number },
  };

  /** The highlighted conversation (set by selection; the host may set it too). */
  declare selectedId: string | null;
  /** How many conversations to show (default 50). */
  declare limit: number;

  private readonly list = new ConversationsController(this, () => this.client, () => this.limit);

  constructor() {
    super();
    this.selectedId = null;
    this.limit = 50;
  }

  /** The conversations shown, by last activity. */
  get conversations(): LocalConversation[] {
    return this.list.conversations;
  }

  /** Unread messages over all conversations shown. */
  get totalUnread(): number {
    return this.list.totalUnread;
  }

  private select(id: string): void {
    this.selectedId = id;
    emit(this, 'parley-conversation-select', { conversationId: id });
  }

  private item(c: LocalConversation): unknown {
    const t = this.t;
    const locale = this.effectiveLocale;
    const title = c.title || t('list.untitled');
    const preview = c.lastMessage ? previewText(c.lastMessage.content, t) : '';
    const unread = c.unread > 0 ? t('list.unread', { count: c.unread }) : '';
    // The button's name is its visible text plus the unread count for screen readers: an aria-label
    // that left out what is shown (the time) would not match what a voice-control user reads out.
    return html`<li>
      <button type="button" part="conversation" class="item" data-conversation-id=${c.id}
        aria-current=${this.selectedId === c.id ? 'true' : 'false'} @click=${() => this.select(c.id)}>
        <span part="conversation-title" class="title">${title}</span>
        <span part="conversation-time" class="time">${c.lastActivityAt ? formatTime(c.lastActivityAt, locale) : ''}</span>
        <span part="conversation-preview" class="preview">${preview}</span>
        ${unread
          ? html`<span class="sr-only">${unread}</span>
              <span part="unread-badge" class="badge" aria-hidden="true">${c.unread > 99 ? '99+' : c.unread}</span>`
          : nothing}
      </button>
    </li>`;
  }

  protected override render(): unknown {
    const t = this.t;
    if (this.list.loaded && this.list.conversations.length === 0) return html`<p class="empty">${t('list.empty')}</p>`;
    return html`<ul part="conversation-list" aria-label=${t('list.label')}>
      ${repeat(this.list.conversations, (c) => c.id, (c) => this.item(c))}
    </ul>`;
  }
}
