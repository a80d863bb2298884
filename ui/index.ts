/**
 * Parley UI kit: framework-agnostic custom elements over a ParleyClient. Importing this module
 * defines <parley-chat>, <parley-conversation-list>, <parley-chat-widget>, an agent's
 * <parley-customer-context> and the voice message player <parley-voice-player> (once; a page that already defined a tag keeps its own).
 *
 *   import { connect } from '/parley/parley-client.js';
 *   import '/parley/parley-ui.js';
 *   document.querySelector('parley-chat-widget').client = await connect({ getToken });
 *
 * @module parley/ui
 */
import { ParleyChat } from './elements/ParleyChat';
import { ParleyChatWidget } from './elements/ParleyChatWidget';
import { ParleyConversationList } from './elements/ParleyConversationList';
import { ParleyCustomerContext } from './elements/ParleyCustomerContext';
import { ParleyVoicePlayer } from './elements/ParleyVoicePlayer';
import { installBuiltinTemplates } from './templates/builtins';

export { ParleyChat, ParleyChatWidget, ParleyConversationList, ParleyCustomerContext, ParleyVoicePlayer };
export type { CustomerContext, CustomerContextHook } from './elements/ParleyCustomerContext';
export { ParleyElement } from './elements/ParleyElement';
export { registerTemplate, resolveTemplate } from './templates/registry';
export type { ImageView, TemplateContext, TemplateRenderer, UploadFraction } from './templates/types';
export { audioFocus } from './media/audioFocus';
export { addLocale, setLocale, getLocale, translate, type LocaleTable, type MessageKey } from './i18n/locale';
export { formatDuration, formatPrice, formatTime } from './i18n/format';
export { safeUrl } from './safeUrl';
export { DEFAULT_CONFIG, type ChatConfig, type ChatConfigInput, type MoreItem } from './config';
export type { ParleyErrorAction, ParleyEventMap, ParleyEventName } from './events';

installBuiltinTemplates();

const TAGS = {
  'parley-chat': ParleyChat,
  'parley-conversation-list': ParleyConversationList,
  'parley-chat-widget': ParleyChatWidget,
  'parley-voice-player': ParleyVoicePlayer,
  'parley-customer-context': ParleyCustomerContext,
} as const;

for (const [tag, ctor] of Object.entries(TAGS)) {
  if (!customElements.get(tag)) customElements.define(tag, ctor);
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat': ParleyChat;
    'parley-conversation-list': ParleyConversationList;
    'parley-chat-widget': ParleyChatWidget;
    'parley-voice-player': ParleyVoicePlayer;
    'parley-customer-context': ParleyCustomerContext;
  }
}
