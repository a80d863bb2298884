/**
 * Parley UI kit: framework-agnostic custom elements over a ParleyClient. Importing this module
 * defines <parley-chat>, <parley-conversation-list> and <parley-chat-widget> (once; a page that
 * already defined a tag keeps its own).
 *
 *   import { connect } from '/parley/parley-client.js';
 *   import '/parley/parley-ui.js';
 *   document.querySelector('parley-chat-widget').client = await connect({ getToken });
 */
import { ParleyChat } from './elements/ParleyChat';
import { ParleyChatWidget } from './elements/ParleyChatWidget';
import { ParleyConversationList } from './elements/ParleyConversationList';
import { installBuiltinTemplates } from './templates/builtins';

export { ParleyChat, ParleyChatWidget, ParleyConversationList };
export { ParleyElement } from './elements/ParleyElement';
export { registerTemplate, resolveTemplate } from './templates/registry';
export type { TemplateContext, TemplateRenderer } from './templates/types';
export { addLocale, setLocale, getLocale, translate, type LocaleTable, type MessageKey } from './i18n/locale';
export { formatPrice, formatTime } from './i18n/format';
export { safeUrl } from './safeUrl';
export { DEFAULT_CONFIG, type ChatConfig, type ChatConfigInput, type MoreItem } from './config';
export type { ParleyEventMap, ParleyEventName } from './events';

installBuiltinTemplates();

const TAGS = {
  'parley-chat': ParleyChat,
  'parley-conversation-list': ParleyConversationList,
  'parley-chat-widget': ParleyChatWidget,
} as const;

for (const [tag, ctor] of Object.entries(TAGS)) {
  if (!customElements.get(tag)) customElements.define(tag, ctor);
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat': ParleyChat;
    'parley-conversation-list': ParleyConversationList;
    'parley-chat-widget': ParleyChatWidget;
  }
}
