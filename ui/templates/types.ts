/** What a message renderer receives and returns. */
import type { TemplateResult } from 'lit';
import type { Money } from '../../schema/content';
import type { LocalMessage } from '../../worker/protocol';
import type { ParleyEventMap, ParleyEventName } from '../events';
import type { Translate } from '../i18n/locale';

/** An image to show in the chat's viewer (TemplateContext.openImage). */
export interface ImageView {
  /** The full image: a media ref as found in content (`/media/…`, `local:…`, http(s)). */
  url: string;
  /** A smaller version shown while the full one loads (a ref too). */
  thumbUrl?: string;
  /** Pixel size of the full image: the viewer reserves its box before it loads. */
  width?: number;
  height?: number;
  /** Accessible description; default: the locale's "Image". */
  alt?: string;
  /** The message it belongs to (echoed in `parley-image-open`). */
  messageId?: string;
}

/** Upload progress of an own pending media message, in bytes over all its files. */
export interface UploadFraction {
  loaded: number;
  /** 0 while unknown. */
  total: number;
}

export interface TemplateContext {
  /** The element's locale tag (e.g. 'zh-CN'). */
  locale: string;
  /** Translate a key of the locale table. */
  t: Translate;
  /** True for the user's own message. */
  mine: boolean;
  /** A price in the element's locale. */
  formatPrice(money: Money): string;
  /** A time in the element's locale. */
  formatTime(ts: number): string;
  /** The URL if safe to render as a link or image (http(s) or '/path'), else null. */
  safeUrl(url: unknown): string | null;
  /**
   * The URL if a card image may load from it: a '/path', or an http(s) URL on this page's origin
   * or one of `config.cardImageOrigins`; else null (and no image is shown).
   */
  cardImageUrl(url: unknown): string | null;
  /** Dispatch a bubbling, composed parley-* event from the chat element. */
  emit<K extends ParleyEventName>(name: K, detail: ParleyEventMap[K]): boolean;
  /**
   * A URL an `<img src>`/`<audio src>` can load for a media ref from message content (`local:…`
   * of a file not uploaded yet, `/media/…` on the Parley server, or http(s)); never put such a ref
   * into a src yourself. Synchronous: the URL when known, else null while it resolves (through
   * `client.mediaUrl`), and the element renders again when it is known. Results are cached per
   * ref. `slot` names the place the URL is shown (e.g. `${message.id}:thumb`): while a new ref for
   * the same slot resolves (a `local:` ref becoming a server URL once uploaded), the slot's previous
   * URL is returned, so the picture does not blink.
   */
  mediaUrl(ref: unknown, slot?: string): string | null;
  /**
   * The error code when `ref` could not be resolved or did not load (e.g. `NOT_FOUND`,
   * `LOAD_FAILED`, `INVALID_URL`), else null. A failed ref is not asked for again until the
   * connection comes back online or mediaRetry(ref).
   */
  mediaError(ref: unknown): string | null;
  /** Report that the URL mediaUrl gave for `ref` did not load (call from the `<img>`/`<audio>` error event). */
  mediaFailed(ref: unknown): void;
  /** Resolve `ref` again (e.g. the user tapped a failed image). */
  mediaRetry(ref: unknown): void;
  /**
   * Upload progress of an own pending media message (from `client.on('upload')`), or null before
   * its upload has started (show an indeterminate bar). Stays full once uploaded.
   */
  uploadProgress(messageId: string): UploadFraction | null;
  /**
   * Show an image in the chat's viewer (a modal dialog; Esc, its close button or a click on the
   * backdrop close it, and focus goes back to `opener`, default: what had focus). Dispatches
   * `parley-image-open` first; a host listener that calls preventDefault() shows its own viewer.
   */
  openImage(image: ImageView, opener?: HTMLElement | null): void;
}

/**
 * Renders one message's content inside its bubble. Return a Lit TemplateResult (text bindings
 * escape; never use unsafeHTML with message data) or an HTMLElement (the host builds it; set its
 * text with textContent, not innerHTML). The element re-renders on every change of the message list.
 */
export type TemplateRenderer = (message: LocalMessage, ctx: TemplateContext) => TemplateResult | HTMLElement | null | undefined;
