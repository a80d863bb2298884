/**
 * Plain stand-ins for the UI kit's three elements, used only when /parley/parley-ui.js does not
 * load (the kit is built separately). Same tag names, same `client` property and attributes, so
 * the demo pages do not change when the kit arrives. Deliberately minimal: no templates, no locale.
 */
import type { ParleyClient } from '../client/index';
import { cardImageUrl } from '../ui/safeUrl';
import type { LocalConversation, LocalMessage } from '../worker/protocol';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props) as HTMLElementTagNameMap[K];
  node.append(...kids);
  return node;
}

function describe(m: LocalMessage): Node {
  const c = m.content as { type: string; text?: string; title?: string; price?: { amount: string; currency: string }; imageUrl?: string };
  if (c.type === 'text') return document.createTextNode(c.text ?? '');
  if (c.type === 'product') {
    const card = el('span', { className: 'fb-product' });
    // The kit's own rule: message content picks no image host but this page's.
    const src = cardImageUrl(c.imageUrl, [], location.origin);
    if (src) card.append(el('img', { src, alt: '', width: 40, height: 40, referrerPolicy: 'no-referrer' }));
    card.append(`${c.title ?? ''} · ${c.price?.amount ?? ''} ${c.price?.currency ?? ''}`);
    return card;
  }
  return document.createTextNode(`[${c.type}]`);
}

class FallbackChat extends HTMLElement {
  #client: ParleyClient | null = null;
  #off: (() => void) | null = null;
  #list = el('ol', { className: 'fb-messages' });
  #input = el('input', { placeholder: 'Write a message…', name: 'text', autocomplete: 'off' });

  static observedAttributes = ['conversation-id'];

  get client() {
    return this.#client;
  }
  set client(c: ParleyClient | null) {
    this.#client = c;
    this.#watch();
  }
  get conversationId() {
    return this.getAttribute('conversation-id');
  }
  set conversationId(id: string | null) {
    if (id) this.setAttribute('conversation-id', id);
    else this.removeAttribute('conversation-id');
  }

  connectedCallback() {
    if (!this.firstChild) {
      const form = el('form', { className: 'fb-compose' }, this.#input, el('button', { type: 'submit', textContent: 'Send' }));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const text = this.#input.value.trim();
        if (!text || !this.#client || !this.conversationId) return;
        this.#input.value = '';
        void this.#client.send(this.conversationId, { type: 'text', text });
      });
      this.append(this.#list, form);
    }
    this.#watch();
  }
  disconnectedCallback() {
    this.#off?.();
    this.#off = null;
  }
  attributeChangedCallback() {
    this.#watch();
  }

  #watch() {
    this.#off?.();
    this.#off = null;
    const client = this.#client;
    const id = this.conversationId;
    if (!client || !id || !this.isConnected) return;
    this.#off = client.watchMessages(id, (messages) => {
      const me = client.state.status === 'online' ? client.state.userId : null;
      this.#list.replaceChildren(
        ...messages.map((m) =>
          el('li', { className: `fb-message ${m.state}` }, el('b', {}, `${m.senderId}: `), describe(m), el('small', {}, ` ${m.state}`)),
        ),
      );
      this.#list.scrollTop = this.#list.scrollHeight;
      if (messages.some((m) => m.state === 'received' && m.senderId !== me)) void client.markRead(id).catch(() => {});
    });
  }
}

class FallbackWidget extends HTMLElement {
  #client: ParleyClient | null = null;
  #chat = document.createElement('parley-chat') as unknown as FallbackChat; // defined first, see below
  #panel = el('div', { className: 'fb-panel', hidden: true });
  #note = el('p', { className: 'fb-note' });

  get client() {
    return this.#client;
  }
  set client(c: ParleyClient | null) {
    this.#client = c;
    this.#chat.client = c;
    void this.#resolve();
  }
  get open() {
    return !this.#panel.hidden;
  }
  set open(v: boolean) {
    this.#panel.hidden = !v;
    if (v) void this.#resolve();
  }
  async show(): Promise<string | null> {
    this.open = true;
    await this.#resolve();
    return this.#chat.conversationId;
  }

  connectedCallback() {
    if (this.firstChild) return;
    const toggle = el('button', { type: 'button', className: 'fb-toggle', textContent: 'Chat with the shop' });
    toggle.addEventListener('click', () => (this.open = !this.open));
    this.#panel.append(this.#note, this.#chat);
    this.append(this.#panel, toggle);
  }

  async #resolve() {
    const client = this.#client;
    const shopId = this.getAttribute('shop-id');
    if (!client || !shopId || this.#chat.conversationId) return;
    try {
      const list = await new Promise<LocalConversation[]>((resolve) => {
        const off = client.watchConversations((l) => (queueMicrotask(off), resolve(l)));
      });
      const known = list.find((c) => c.kind === 'direct' && c.shopId === shopId);
      const id = known?.id ?? (await client.request('conversations.create', { kind: 'direct', shopId })).conversation.id;
      this.#note.textContent = '';
      this.#chat.conversationId = id;
    } catch (err) {
      this.#note.textContent = `Could not open the conversation yet (${(err as { code?: string }).code ?? String(err)}).`;
      client.on('state', () => void this.#resolve());
    }
  }
}

class FallbackList extends HTMLElement {
  #client: ParleyClient | null = null;
  #off: (() => void) | null = null;
  #list = el('ul', { className: 'fb-conversations' });

  get client() {
    return this.#client;
  }
  set client(c: ParleyClient | null) {
    this.#client = c;
    this.#off?.();
    this.#off = c?.watchConversations((list) => this.#render(list)) ?? null;
  }
  connectedCallback() {
    if (!this.firstChild) this.append(this.#list);
  }

  #render(list: LocalConversation[]) {
    this.#list.replaceChildren(
      ...list.map((c) => {
        const li = el(
          'li',
          { className: 'fb-conversation', tabIndex: 0 },
          el('span', { className: 'fb-title' }, c.title || c.id),
          c.unread ? el('span', { className: 'fb-unread' }, String(c.unread)) : '',
        );
        li.dataset.conversationId = c.id;
        li.addEventListener('click', () =>
          this.dispatchEvent(new CustomEvent('parley-conversation-select', { detail: { conversationId: c.id }, bubbles: true, composed: true })),
        );
        return li;
      }),
    );
  }
}

export function defineFallbackElements(): void {
  if (!customElements.get('parley-chat')) customElements.define('parley-chat', FallbackChat);
  if (!customElements.get('parley-chat-widget')) customElements.define('parley-chat-widget', FallbackWidget);
  if (!customElements.get('parley-conversation-list')) customElements.define('parley-conversation-list', FallbackList);
}
