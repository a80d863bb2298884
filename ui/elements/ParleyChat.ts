/**
 * `<parley-chat conversation-id="...">`: one conversation's messages (live), "load older", the
 * composer (text, emoji, images, voice), own messages' delivery states with resend/delete, an image
 * viewer, a status line for the connection and storage, and a polite live region announcing
 * incoming messages. Marks the conversation read while it is visible.
 */
import { html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { LocalMessage } from '../../worker/protocol';
import { normalizeConfig, type ChatConfig, type ChatConfigInput, type MoreItem } from '../config';
import { ConnectionController } from '../controllers/ConnectionController';
import { DraftController } from '../controllers/DraftController';
import { MediaUrlController } from '../controllers/MediaUrlController';
import { MessagesController } from '../controllers/MessagesController';
import { SignalsController } from '../controllers/SignalsController';
import { ConversationsController } from '../controllers/ConversationsController';
import { DeskController } from '../controllers/DeskController';
import type { QuickReply } from '../../schema/desk';
import { deskBar } from './chat/deskBar';
import { quickReplyList, quickReplyMatches } from './chat/quickReplies';
import { RerenderOn } from '../controllers/Subscription';
import { UploadProgressController } from '../controllers/UploadProgressController';
import { VisibilityController } from '../controllers/VisibilityController';
import { emit, errorInfo, type ParleyErrorAction } from '../events';
import { formatPrice, formatTime, previewText } from '../i18n/format';
import type { MessageKey } from '../i18n/locale';
import { cardImageUrl, safeUrl } from '../safeUrl';
import { statusLine } from '../status';
import { onTemplatesChange } from '../templates/registry';
import type { ImageView, TemplateContext } from '../templates/types';
import { themeStyles } from '../theme';
import { composer, MAX_TEXT_CHARS } from './chat/composer';
import { Lightbox, lightboxStyles } from './chat/lightbox';
import { MediaInput } from './chat/mediaInput';
import { mediaStyles } from './chat/mediaStyles';
import { messageItem } from './chat/messageItem';
import { chatStyles } from './chat/styles';
import { ParleyElement } from './ParleyElement';

/** Within this many pixels of an edge counts as "at" it. */
const EDGE_PX = 48;

export class ParleyChat extends ParleyElement {
  static override styles = [themeStyles, chatStyles, mediaStyles, lightboxStyles];
  static override properties: PropertyDeclarations = {
    conversationId: { type: String, attribute: 'conversation-id', reflect: true },
    config: { attribute: false },
    heading: { type: String },
    older: { state: true },
    loadingOlder: { state: true },
    noOlder: { state: true },
    draft: { state: true },
    panel: { state: true },
    announcement: { state: true },
    problem: { state: true },
    notice: { state: true },
    transferring: { state: true },
    quickActive: { state: true },
  };

  /** The conversation to show. */
  declare conversationId: string | null;
  /** Page size, composer features and "more" items; any subset (see ChatConfig). */
  declare config: ChatConfigInput | null;
  /** Optional title shown in a header (part="header"); none when empty. */
  declare heading: string;
  private declare older: LocalMessage[];
  private declare loadingOlder: boolean;
  private declare noOlder: boolean;
  private declare draft: string;
  private declare panel: 'emoji' | 'more' | null;
  private declare announcement: string;
  private declare problem: string;
  /** A hint that is not an error (e.g. a voice recording too short to send). */
  private declare notice: string;
  /** An agent's transfer form is open. */
  private declare transferring: boolean;
  /** The quick reply highlighted in the `/` list. */
  private declare quickActive: number;

  private readonly live = new MessagesController(
    this,
    () => ({ client: this.client, conversationId: this.conversationId, pageSize: this.settings.pageSize }),
    (messages, prev) => this.onMessages(messages, prev),
  );
  private readonly connection = new ConnectionController(this, () => this.client);
  private readonly visibility = new VisibilityController(this, () => this.markReadIfNeeded());
  private readonly media = new MediaUrlController(this, () => this.client);
  private readonly uploads = new UploadProgressController(this, () => this.client, () => this.conversationId);
  /** The unsent text, per user and conversation, shared by the tabs and kept across reloads. */
  private readonly drafts = new DraftController(
    this,
    () => (this.client && this.conversationId ? { user: this.client.user, conversationId: this.conversationId, persist: !this.client.encrypted } : null),
    (text) => (this.draft = text),
    MAX_TEXT_CHARS,
  );
  /** The shop's desk, for an agent: who handles this conversation, transfers, quick replies. */
  private readonly desk = new DeskController(this, () => this.client);
  /** Which conversations are the shop's (their shopId): watched only for an agent. */
  private readonly shopConversations = new ConversationsController(this, () => (this.desk.desk ? this.client : null));
  /** Who types here, and the presence of the other parties. */
  private readonly signals = new SignalsController(this, () => ({ client: this.client, conversationId: this.conversationId }));
  private readonly lightbox = new Lightbox(this);
  private readonly mediaInput = new MediaInput(this, {
    target: () => (this.client && this.conversationId ? { client: this.client, conversationId: this.conversationId } : null),
    voiceMaxMs: () => this.settings.voiceMaxMs,
    sent: (message) => this.sent(message),
    failed: (action, err, text) => this.fail(action, err, text),
    hint: (text) => this.hint(text),
    announce: (text) => (this.announcement = this.t(text)),
    query: (selector) => this.renderRoot.querySelector(selector),
  });
  /** The message the live region last announced. */
  private announced: string | null = null;
  /** Highest seq of others' messages we already marked read. */
  private readSeq = 0;
  private stickToBottom = true;

  constructor() {
    super();
    this.conversationId = null;
    this.config = null;
    this.heading = '';
    this.older = [];
    this.loadingOlder = false;
    this.noOlder = false;
    this.draft = '';
    this.panel = null;
    this.announcement = '';
    this.problem = '';
    this.notice = '';
    this.transferring = false;
    this.quickActive = 0;
    new RerenderOn(this, [onTemplatesChange]);
    // Images dropped anywhere on the chat are sent (when the image feature is on).
    this.addEventListener('dragover', (e) => this.settings.features.image && this.mediaInput.onDragOver(e));
    this.addEventListener('drop', (e) => this.settings.features.image && this.mediaInput.onDrop(e));
  }

  /** The card image origins of this render: worked out once, not once per message. */
  private cardImageOrigins: string[] = [];

  /** The config in effect (defaults filled in). */
  get settings(): ChatConfig {
    return normalizeConfig(this.config);
  }

  /** Every message shown, oldest first: pages loaded with "load older", then the live page. */
  get messages(): LocalMessage[] {
    // Signed out: nothing of the user is shown, older pages included.
    if (this.connection.state.status === 'signed_out') return [];
    const live = this.live.messages;
    const ids = new Set(live.map((m) => m.id));
    // A message deleted for this user stays in the database as a placeholder: not shown.
    return [...this.older.filter((m) => !ids.has(m.id)), ...live].filter((m) => m.content?.type !== 'deleted');
  }

  /** Focus the message input. */
  override focus(): void {
    this.renderRoot.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }

  /** Fetch the page before the oldest shown message (also triggered by scrolling to the top). */
  async loadOlder(): Promise<void> {
    const client = this.client;
    const conversationId = this.conversationId;
    const oldest = this.messages.find((m) => m.seq !== null)?.seq ?? null;
    if (!client || !conversationId || this.loadingOlder || this.noOlder) return;
    if (oldest === null || oldest <= 1) {
      this.noOlder = true;
      return;
    }
    const list = this.renderRoot.querySelector('.list');
    const fromBottom = list ? list.scrollHeight - list.scrollTop : 0;
    this.loadingOlder = true;
    try {
      const page = await client.loadOlder(conversationId, oldest, this.settings.pageSize);
      if (conversationId !== this.conversationId) return;
      this.older = mergeBySeq(page, this.older);
      if (page.length < this.settings.pageSize || (page[0]?.seq ?? 0) <= 1) this.noOlder = true;
      await this.updateComplete;
      if (list) list.scrollTop = list.scrollHeight - fromBottom; // keep what the user was reading in place
    } catch (err) {
      this.fail('load-older', err);
    } finally {
      this.loadingOlder = false;
    }
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.cardImageOrigins = this.settings.cardImageOrigins;
    if (changed.has('conversationId') || changed.has('client')) this.drafts.retarget();
    if (changed.has('conversationId')) {
      this.transferring = false;
      this.older = [];
      this.noOlder = false;
      this.readSeq = 0;
      this.announcement = '';
      this.problem = '';
      this.notice = '';
      this.stickToBottom = true;
      // A recording or an open picture belongs to the conversation it started in.
      this.mediaInput.cancelVoice();
      this.lightbox.close();
    }
  }

  protected override updated(): void {
    if (this.stickToBottom) {
      const list = this.renderRoot.querySelector('.list');
      if (list) list.scrollTop = list.scrollHeight;
    }
  }

  private onMessages(messages: LocalMessage[], prev: LocalMessage[] | null): void {
    const list = this.renderRoot.querySelector('.list');
    const atBottom = !list || list.scrollHeight - list.scrollTop - list.clientHeight < EDGE_PX;
    if (prev) {
      // Stored messages pushed out of the live page by newer ones stay shown, as older ones.
      const ids = new Set(messages.map((m) => m.id));
      const left = prev.filter((m) => m.seq !== null && !ids.has(m.id));
      if (left.length) this.older = mergeBySeq(this.older, left);
      const seen = new Set(prev.map((m) => m.id));
      const incoming = messages.filter((m) => m.state === 'received' && !seen.has(m.id));
      const last = incoming[incoming.length - 1];
      if (last) {
        this.announcement = this.t('chat.announce', { text: previewText(last.content, this.t) });
        this.announced = last.id;
      }
      // A recalled (or deleted) message's text must not linger in the live region either.
      const gone = messages.find((m) => m.id === this.announced && (m.content?.type === 'recalled' || m.content?.type === 'deleted'));
      if (gone) this.announcement = '';
      const ownNew = messages.some((m) => m.state !== 'received' && !seen.has(m.id));
      this.stickToBottom = atBottom || ownNew;
    } else {
      this.stickToBottom = true;
    }
    this.markReadIfNeeded(messages);
  }

  private markReadIfNeeded(messages = this.live.messages): void {
    const client = this.client;
    const conversationId = this.conversationId;
    if (!client || !conversationId || !this.visibility.visible) return;
    const newest = messages.reduce((max, m) => (m.state === 'received' && m.seq !== null && m.seq > max ? m.seq : max), 0);
    if (newest <= this.readSeq) return;
    this.readSeq = newest;
    client.markRead(conversationId).catch(() => {
      this.readSeq = 0; // try again on the next change or when seen again
    });
  }

  private async send(): Promise<void> {
    const text = this.draft.trim();
    const client = this.client;
    const conversationId = this.conversationId;
    if (!text || !client || !conversationId) return;
    client.setTyping(conversationId, false);
    this.draft = '';
    this.drafts.save('');
    this.panel = null;
    this.stickToBottom = true;
    try {
      this.sent(await client.send(conversationId, { type: 'text', text }));
    } catch (err) {
      if (!this.draft) {
        this.draft = text; // nothing was stored: give the text back
        this.drafts.save(text);
      }
      this.fail('send', err);
    }
  }

  private async act(action: 'resend' | 'delete' | 'recall' | 'delete-for-me', message: LocalMessage): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      if (action === 'resend') await client.resend(message.id);
      else if (action === 'delete') await client.deletePending(message.id);
      else if (action === 'recall') await client.recall(message.id);
      else await client.deleteForMe(message);
      // Pages loaded with "load older" are copies: they follow what was just done to one of theirs.
      if (action === 'recall' || action === 'delete-for-me') {
        const content = { type: action === 'recall' ? 'recalled' : 'deleted' };
        this.older = this.older.map((m) => (m.id === message.id && m.senderId === message.senderId ? { ...m, content } : m));
      }
      this.problem = '';
      const detail = { messageId: message.id, conversationId: message.conversationId };
      const events = { resend: 'parley-message-resend', delete: 'parley-message-delete', recall: 'parley-message-recall', 'delete-for-me': 'parley-message-delete-for-me' } as const;
      emit(this, events[action], detail);
    } catch (err) {
      this.fail(action, err, errorInfo(err).code === 'RECALL_WINDOW_PASSED' ? 'message.recallTooLate' : undefined);
    }
  }

  /** The composer stored a message: scroll to it, clear the last problem, tell the host. */
  private sent(message: LocalMessage): void {
    this.problem = '';
    this.notice = '';
    this.stickToBottom = true;
    emit(this, 'parley-message-send', { message });
  }

  /** Show what went wrong (`text`, else a generic line with the code) and tell the host. */
  private fail(action: ParleyErrorAction, err: unknown, text?: MessageKey): void {
    const info = errorInfo(err);
    this.problem = text ? this.t(text) : this.t('error.action', { code: info.code });
    emit(this, 'parley-error', { action, ...info });
  }

  private hint(text: MessageKey): void {
    this.notice = this.t(text);
    this.announcement = this.notice;
  }

  private onFeature(feature: 'image' | 'voice'): void {
    if (feature === 'voice' && this.mediaInput.recorder.status !== 'idle') {
      void this.mediaInput.startVoice(); // already recording: takes the user to its Send button
      return;
    }
    if (!emit(this, 'parley-feature', { feature, conversationId: this.conversationId ?? '' })) return; // the host's own picker
    this.panel = null;
    if (feature === 'image') this.mediaInput.pickImages();
    else void this.mediaInput.startVoice();
  }

  private openImage(view: ImageView, opener?: HTMLElement | null): void {
    if (!emit(this, 'parley-image-open', { messageId: view.messageId ?? '', url: view.url })) return;
    this.lightbox.open(view, opener);
  }

  private onKeyDown = (e: KeyboardEvent): void => {
    if (this.onQuickReplyKey(e)) return;
    if (e.key === 'Escape' && this.panel) {
      e.stopPropagation(); // closes the panel, not an enclosing widget
      this.panel = null;
      return;
    }
    // isComposing: Enter that confirms an IME candidate (Chinese, Japanese) must not send.
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    void this.send();
  };

  /** The `/` list of quick replies takes arrows, Enter, Tab and Escape while it is open. True if it took the key. */
  private onQuickReplyKey(e: KeyboardEvent): boolean {
    const matches = this.quickMatches();
    if (!matches || e.isComposing || e.keyCode === 229) return false;
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.setDraft(this.draft.slice(1));
      return true;
    }
    if (matches.length === 0) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      this.quickActive = (this.quickActive + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
      return true;
    }
    if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      e.preventDefault();
      this.insertQuickReply(matches[this.quickActive] ?? matches[0]!);
      return true;
    }
    return false;
  }

  private quickMatches(): QuickReply[] | null {
    const desk = this.desk.desk;
    return desk ? quickReplyMatches(this.draft, desk.quickReplies) : null;
  }

  private insertQuickReply(reply: QuickReply): void {
    this.setDraft(reply.text);
    void this.updateComplete.then(() => {
      const input = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
      input?.focus();
      input?.setSelectionRange(reply.text.length, reply.text.length);
    });
  }

  private setDraft(text: string): void {
    this.draft = text;
    this.quickActive = 0;
    this.drafts.save(text);
    if (this.conversationId) this.client?.setTyping(this.conversationId, text.trim().length > 0);
  }

  /** The desk bar, for an agent in one of their shop's conversations. */
  private renderDesk(): unknown {
    const desk = this.desk.desk;
    const id = this.conversationId;
    if (!desk || !id) return nothing;
    const conversation = this.shopConversations.conversations.find((c) => c.id === id);
    const assignment = this.desk.assignmentOf(id);
    if (conversation?.shopId !== desk.shopId && !assignment) return nothing;
    const me = this.client?.state.status === 'online' ? this.client.state.userId : null;
    const assign = (agentId: string | null, note?: string) => {
      const client = this.client;
      if (!client) return;
      client.assign(id, agentId, note ? { note } : {}).then(
        () => (this.transferring = false),
        (err: unknown) => this.fail('assign', err),
      );
    };
    return deskBar({
      t: this.t,
      me,
      assignment,
      agents: desk.agents,
      nameOf: (agentId) => this.desk.nameOf(agentId),
      transferring: this.transferring,
      onTake: () => me && assign(me),
      onToggleTransfer: () => (this.transferring = !this.transferring),
      onTransfer: (agentId, note) => assign(agentId, note),
    });
  }

  private insertEmoji(emoji: string): void {
    const input = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
    const start = input?.selectionStart ?? this.draft.length;
    const end = input?.selectionEnd ?? this.draft.length;
    this.draft = this.draft.slice(0, start) + emoji + this.draft.slice(end);
    this.drafts.save(this.draft);
    void this.updateComplete.then(() => {
      input?.focus();
      input?.setSelectionRange(start + emoji.length, start + emoji.length);
    });
  }

  private onMoreItem(item: MoreItem): void {
    if (!item.callback) return;
    this.panel = null;
    emit(this, 'parley-more-item', { id: item.id, conversationId: this.conversationId ?? '' });
  }

  private onScroll = (e: Event): void => {
    const list = e.currentTarget as HTMLElement;
    this.stickToBottom = list.scrollHeight - list.scrollTop - list.clientHeight < EDGE_PX;
    if (list.scrollTop < EDGE_PX && this.live.loaded) void this.loadOlder();
  };

  private context(message: LocalMessage): TemplateContext {
    const locale = this.effectiveLocale;
    return {
      locale,
      t: this.t,
      mine: message.state !== 'received',
      formatPrice: (money) => formatPrice(money, locale),
      formatTime: (ts) => formatTime(ts, locale),
      safeUrl,
      cardImageUrl: (url) => cardImageUrl(url, this.cardImageOrigins, typeof location === 'undefined' ? null : location.origin),
      emit: (name, detail) => emit(this, name, detail),
      mediaUrl: (ref, slot) => this.media.cache.get(ref, slot),
      mediaError: (ref) => this.media.cache.error(ref),
      mediaFailed: (ref) => this.media.cache.fail(ref),
      mediaRetry: (ref) => this.media.cache.retry(ref),
      uploadProgress: (messageId) => this.uploads.get(messageId),
      openImage: (view, opener) => this.openImage(view, opener),
    };
  }

  private renderStatus(): unknown {
    const s = statusLine(this.connection.state, this.connection.storage, this.t, this.connection.resync);
    return html`<div part="status" class="status">${s.connection ? html`<span data-status=${this.connection.state.status}>${s.connection}</span>` : nothing}${s.canRetry
        ? html`<button type="button" part="retry-button" class="link-button" aria-label=${this.t('status.retry')}
            @click=${() => void this.client?.reconnect()}>${this.t('status.retry')}</button>`
        : nothing}${s.storage ? html`<span data-storage=${this.connection.storage}>${s.storage}</span>` : nothing}${s.history
        ? html`<span data-resync role="status">${s.history}</span>`
        : nothing}${this.problem
        ? html`<span role="alert">${this.problem}</span>`
        : nothing}${this.notice ? html`<span part="notice" class="notice">${this.notice}</span>` : nothing}</div>`;
  }

  /** The other parties' presence: the shop for a customer, the customer for an agent. */
  private renderPresence(): unknown {
    return this.signals.presence.map(
      (p) => html`<div part="presence" class="presence" data-state=${p.state} data-subject=${p.id}>
        <span class="dot" aria-hidden="true"></span
        ><span>${p.kind === 'shop' ? this.t(`presence.shop.${p.state}`) : this.t(`presence.user.${p.state}`, { name: p.id })}</span>
      </div>`,
    );
  }

  private renderQuickReplies(): unknown {
    const matches = this.quickMatches();
    return matches ? quickReplyList(this.t, matches, this.quickActive, (r) => this.insertQuickReply(r)) : nothing;
  }

  private typingText(): string {
    const typing = this.signals.typing;
    if (typing.length > 1) return this.t('typing.many', { count: typing.length });
    const [one] = typing;
    if (!one) return '';
    return one.kind === 'shop' ? this.t('typing.shop') : this.t('typing.one', { name: one.id });
  }

  private renderOlder(): unknown {
    const hasStored = this.messages.some((m) => m.seq !== null);
    if (!hasStored) return nothing;
    if (this.loadingOlder) return html`<li class="older" role="status">${this.t('chat.loadingOlder')}</li>`;
    if (this.noOlder) return html`<li class="older">${this.t('chat.noOlder')}</li>`;
    return html`<li class="older"><button type="button" part="load-older-button" aria-label=${this.t('chat.loadOlder')}
      @click=${() => void this.loadOlder()}>${this.t('chat.loadOlder')}</button></li>`;
  }

  protected override render(): unknown {
    const t = this.t;
    if (!this.conversationId) return html`<p class="empty">${t('chat.noConversation')}</p>`;
    const messages = this.messages;
    const recallWindowMs = this.settings.recallWindowMs;
    const actions = {
      resend: (m: LocalMessage) => void this.act('resend', m),
      delete: (m: LocalMessage) => void this.act('delete', m),
      recall: (m: LocalMessage) => void this.act('recall', m),
      deleteForMe: (m: LocalMessage) => void this.act('delete-for-me', m),
      canRecall: (m: LocalMessage) => m.serverTs !== null && Date.now() - m.serverTs < recallWindowMs,
    };
    return html`
      ${this.heading ? html`<div part="header" class="header">${this.heading}</div>` : nothing} ${this.renderPresence()} ${this.renderDesk()}
      ${this.renderStatus()}
      <ol part="message-list" class="list" aria-label=${t('chat.messages')} tabindex="0" @scroll=${this.onScroll}>
        ${this.renderOlder()}
        ${repeat(messages, (m) => m.id, (m) => messageItem(m, this.context(m), actions))}
        ${this.live.loaded && messages.length === 0 ? html`<li class="empty">${t('chat.empty')}</li>` : nothing}
      </ol>
      <div class="sr-only" part="announcer" aria-live="polite" aria-atomic="true">${this.announcement}</div>
      <div part="typing" class="typing" role="status">${this.typingText()}</div>
      ${this.renderQuickReplies()}
      ${composer({
        t,
        config: this.settings,
        draft: this.draft,
        disabled: !this.client,
        panel: this.panel,
        onInput: (e) => this.setDraft((e.target as HTMLTextAreaElement).value),
        onKeyDown: this.onKeyDown,
        onSend: () => void this.send(),
        onTogglePanel: (p) => (this.panel = this.panel === p ? null : p),
        onEmoji: (emoji) => this.insertEmoji(emoji),
        onFeature: (feature) => this.onFeature(feature),
        onMoreItem: (item) => this.onMoreItem(item),
        recorder: this.mediaInput.panel(),
        preparingImages: this.mediaInput.preparingImages,
        onImagesPicked: this.mediaInput.onImagesPicked,
        onPaste: (e) => this.settings.features.image && this.mediaInput.onPaste(e),
      })}
      ${this.lightbox.render(t, {
        url: (ref, slot) => this.media.cache.get(ref, slot),
        error: (ref) => this.media.cache.error(ref),
        failed: (ref) => this.media.cache.fail(ref),
      })}
    `;
  }
}

/** Union of two ascending pages by seq, without duplicates. */
function mergeBySeq(a: LocalMessage[], b: LocalMessage[]): LocalMessage[] {
  const byId = new Map<string, LocalMessage>();
  for (const m of [...a, ...b]) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => (x.seq ?? Infinity) - (y.seq ?? Infinity));
}
