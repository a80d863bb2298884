/**
 * Every event the kit dispatches: bubbling, composed (they cross shadow roots) `CustomEvent`s named
 * `parley-*`. The kit never navigates or acts on the host's behalf: it tells, the host decides.
 */
import type { LocalMessage } from '../worker/protocol';

export interface ParleyEventMap {
  /** A conversation was chosen in `<parley-conversation-list>` (click or Enter/Space). */
  'parley-conversation-select': { conversationId: string };
  /** An item of the composer's "more" panel whose `callback` is true was clicked. */
  'parley-more-item': { id: string; conversationId: string };
  /**
   * The image or voice composer button was clicked. The kit then opens its file picker or voice
   * recorder; a listener that calls preventDefault() supplies its own instead.
   */
  'parley-feature': { feature: 'image' | 'voice'; conversationId: string };
  /**
   * An image message was activated. The kit then shows it in its viewer; a listener that calls
   * preventDefault() shows its own (resolve `url`, a content ref, with client.mediaUrl).
   */
  'parley-image-open': { messageId: string; url: string };
  /** A product card was activated (plain click; modified clicks open the link natively). */
  'parley-product-click': { productId: string; url: string | null; messageId: string };
  /** An order card was activated. */
  'parley-order-click': { orderId: string; url: string | null; messageId: string };
  /** The user asked to resend a failed message (client.resend already called). */
  'parley-message-resend': { messageId: string; conversationId: string };
  /** The user deleted a pending/failed message (client.deletePending already called). */
  'parley-message-delete': { messageId: string; conversationId: string };
  /** The user recalled an own message (client.recall already succeeded). */
  'parley-message-recall': { messageId: string; conversationId: string };
  /** The user deleted a message for themselves on this device (client.deleteForMe already called). */
  'parley-message-delete-for-me': { messageId: string; conversationId: string };
  /** The composer stored a message (state 'pending'): text, image or voice. */
  'parley-message-send': { message: LocalMessage };
  /**
   * Something the user triggered failed: a client call (send, send-image, send-voice, resend,
   * delete, load-older, open; `code` is the ParleyError's), or recording (record-voice; `code`:
   * MIC_DENIED, MIC_NOT_FOUND, MIC_BUSY, RECORDER_UNSUPPORTED, RECORDER_FAILED).
   */
  'parley-error': { action: ParleyErrorAction; code: string; message: string };
  /** `<parley-chat-widget>` opened or closed. */
  'parley-open-change': { open: boolean; conversationId: string | null };
}

export type ParleyErrorAction = 'send' | 'send-image' | 'send-voice' | 'record-voice' | 'resend' | 'delete' | 'recall' | 'delete-for-me' | 'assign' | 'load-older' | 'open';

export type ParleyEventName = keyof ParleyEventMap;

/** Dispatch a bubbling, composed `CustomEvent`. Returns false if a listener called preventDefault(). */
export function emit<K extends ParleyEventName>(target: EventTarget, name: K, detail: ParleyEventMap[K]): boolean {
  return target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable: true }));
}

/** The stable code of an error from the client (a ParleyError's `code`), or 'UNKNOWN'. */
export function errorInfo(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  return { code: typeof e?.code === 'string' ? e.code : 'UNKNOWN', message: typeof e?.message === 'string' ? e.message : String(err) };
}

declare global {
  interface HTMLElementEventMap {
    'parley-conversation-select': CustomEvent<ParleyEventMap['parley-conversation-select']>;
    'parley-more-item': CustomEvent<ParleyEventMap['parley-more-item']>;
    'parley-feature': CustomEvent<ParleyEventMap['parley-feature']>;
    'parley-image-open': CustomEvent<ParleyEventMap['parley-image-open']>;
    'parley-product-click': CustomEvent<ParleyEventMap['parley-product-click']>;
    'parley-order-click': CustomEvent<ParleyEventMap['parley-order-click']>;
    'parley-message-resend': CustomEvent<ParleyEventMap['parley-message-resend']>;
    'parley-message-delete': CustomEvent<ParleyEventMap['parley-message-delete']>;
    'parley-message-recall': CustomEvent<ParleyEventMap['parley-message-recall']>;
    'parley-message-delete-for-me': CustomEvent<ParleyEventMap['parley-message-delete-for-me']>;
    'parley-message-send': CustomEvent<ParleyEventMap['parley-message-send']>;
    'parley-error': CustomEvent<ParleyEventMap['parley-error']>;
    'parley-open-change': CustomEvent<ParleyEventMap['parley-open-change']>;
  }
}
