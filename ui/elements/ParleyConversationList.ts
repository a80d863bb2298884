/**
 * `<parley-conversation-list>`: the user's conversations by last activity, each with its unread
 * badge and a preview of the last message. Choosing one (click, Enter or Space) dispatches
 * `parley-conversation-select` {conversationId} and marks it selected.
 */
import { css, html, nothing, type PropertyDeclarations } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { LocalConversation } from '../../worker/protocol';
import { ConversationsController } from '../controllers/ConversationsController';
import { DeskController } from '../controllers/DeskController';
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
      .assignee {
        grid-column: 1 / -1;
        font-size: 0.8em;
        color: var(--_muted);
      }
      .assignee[data-queue] {
        color: var(--_accent);
        font-weight: 600;
      }
      .filter {
        display: flex;
        gap: var(--_gap);
        padding: var(--_gap) calc(var(--_gap) * 1.5);
        border-bottom: 1px solid var(--_border);
        font-size: 0.85em;
      }
      .filter button[aria-pressed='true'] {
        font-weight: 600;
        text-decoration: underline;
      }
      .filter button {
        background: none;
        border: none;
        padding: 0;
        color: inherit;
        font: inherit;
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
    filter: { type: String, reflect: true },
  };

  /** For a shop's agents: all conversations, those they handle, or the shop's queue. */
  declare filter: 'all' | 'mine' | 'queue';

  /** The highlighted conversation (set by selection; the host may set it too). */
  declare selectedId: string | null;
  /** How many conversations to show (default 50). */
  declare limit: number;

  private readonly list = new ConversationsController(this, () => this.client, () => this.limit);
  /** The shop's desk, for an agent: who handles each conversation. */
  private readonly desk = new DeskController(this, () => this.client);

  constructor() {
    super();
    this.selectedId = null;
    this.limit = 50;
    this.filter = 'all';
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
    const assignee = this.assigneeText(c);
    // The button's name is its visible text plus the unread count for screen readers: an aria-label
    // that left out what is shown (the time) would not match what a voice-control user reads out.
    return html`<li>
      <button type="button" part="conversation" class="item" data-conversation-id=${c.id}
        aria-current=${this.selectedId === c.id ? 'true' : 'false'} @click=${() => this.select(c.id)}>
        <span part="conversation-title" class="title">${title}</span>
        <span part="conversation-time" class="time">${c.lastActivityAt ? formatTime(c.lastActivityAt, locale) : ''}</span>
        <span part="conversation-preview" class="preview">${preview}</span>
        ${assignee ? html`<span part="assignee" class="assignee" ?data-queue=${assignee.queue}>${assignee.text}</span>` : nothing}
        ${unread
          ? html`<span class="sr-only">${unread}</span>
              <span part="unread-badge" class="badge" aria-hidden="true">${c.unread > 99 ? '99+' : c.unread}</span>`
          : nothing}
      </button>
    </li>`;
  }

  /** For an agent, who handles a conversation of their shop: "You", a colleague, or the queue. */
  private assigneeText(c: LocalConversation): { text: string; queue: boolean } | null {
    const desk = this.desk.desk;
    if (!desk || c.shopId !== desk.shopId) return null;
    const a = this.desk.assignmentOf(c.id);
    if (!a || a.agentId === null) return { text: this.t('desk.inQueue'), queue: true };
    const me = this.client?.state.status === 'online' ? this.client.state.userId : null;
    return { text: a.agentId === me ? this.t('desk.handledByYou') : this.t('desk.handledBy', { name: this.desk.nameOf(a.agentId) }), queue: false };
  }

  private shown(): LocalConversation[] {
    const desk = this.desk.desk;
    if (!desk || this.filter === 'all') return this.list.conversations;
    const me = this.client?.state.status === 'online' ? this.client.state.userId : null;
    return this.list.conversations.filter((c) => {
      if (c.shopId !== desk.shopId) return false;
      const agentId = this.desk.assignmentOf(c.id)?.agentId ?? null;
      return this.filter === 'queue' ? agentId === null : agentId !== null && agentId === me;
    });
  }

  private renderFilter(): unknown {
    if (!this.desk.desk) return nothing;
    const t = this.t;
    const option = (value: 'all' | 'mine' | 'queue', label: string) =>
      html`<button type="button" part="filter-button" aria-pressed=${this.filter === value ? 'true' : 'false'} @click=${() => (this.filter = value)}>${label}</button>`;
    return html`<div part="filter" class="filter" role="group" aria-label=${t('desk.filter')}>
      ${option('all', t('desk.all'))} ${option('mine', t('desk.mine'))} ${option('queue', t('desk.queue'))}
    </div>`;
  }

  protected override render(): unknown {
    const t = this.t;
    if (this.list.loaded && this.list.conversations.length === 0) return html`${this.renderFilter()}<p class="empty">${t('list.empty')}</p>`;
    return html`${this.renderFilter()}<ul part="conversation-list" aria-label=${t('list.label')}>
      ${repeat(this.shown(), (c) => c.id, (c) => this.item(c))}
    </ul>`;
  }
}
