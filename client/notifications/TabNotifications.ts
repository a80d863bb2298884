/**
 * This tab's part in "one notification per message across all tabs": it tells the engine whether it
 * is visible and whether it may show notifications, and shows the ones the engine picks it for
 * (the `notify` events naming this tab), confirming each so the engine does not ask another tab.
 * Outside a page (Node, a worker) it does nothing.
 */
import type { Message } from '../../schema/entities';
import { VIEW_REFRESH_MS } from '../../worker/notify/tabView';
import type { EngineEventOf, TabView } from '../../worker/protocol';

export interface NotificationOptions {
  /** The notification's title and body for a message (default: "New message" and its text, or its kind). */
  format?(message: Message): { title: string; body: string };
  /** A sound played once per notification shown (a URL; none by default). */
  sound?: string;
  /** The user clicked the notification (this tab is focused first): e.g. open the conversation. */
  onClick?(message: Message): void;
}

export interface TabNotificationsDeps {
  tabId: string;
  setTabView(view: TabView): void;
  shown(messageId: string): void;
}

const hasDocument = (): boolean => typeof document !== 'undefined' && typeof document.addEventListener === 'function';

export class TabNotifications {
  private options: NotificationOptions | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly onVisibility = () => this.report();

  constructor(private readonly deps: TabNotificationsDeps) {}

  /** Start telling the engine whether this tab is visible (every tab does, notifications on or not). */
  start(): void {
    if (!hasDocument() || this.timer !== null) return;
    document.addEventListener('visibilitychange', this.onVisibility);
    this.timer = setInterval(() => this.report(), VIEW_REFRESH_MS);
    this.report();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (hasDocument()) document.removeEventListener('visibilitychange', this.onVisibility);
  }

  /**
   * Ask the user (call it from a click: browsers ignore a request without one) and, when allowed,
   * let the engine pick this tab. Resolves with the permission.
   */
  async enable(options: NotificationOptions = {}): Promise<NotificationPermission> {
    if (typeof Notification === 'undefined') return 'denied';
    const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    this.options = permission === 'granted' ? options : null;
    this.report();
    return permission;
  }

  disable(): void {
    this.options = null;
    this.report();
  }

  get enabled(): boolean {
    return this.options !== null;
  }

  /** A `notify` event: show it if it names this tab. */
  handle(event: EngineEventOf<'notify'>): void {
    const options = this.options;
    if (event.tabId !== this.deps.tabId || !options || typeof Notification === 'undefined') return;
    const { message } = event;
    const { title, body } = (options.format ?? defaultFormat)(message);
    // Tagged by conversation: a newer message replaces the older one's notification instead of stacking.
    const n = new Notification(title, { body, tag: message.conversationId });
    n.onclick = () => {
      window.focus();
      n.close();
      options.onClick?.(message);
    };
    if (options.sound) void new Audio(options.sound).play().catch(() => {});
    this.deps.shown(message.id);
  }

  /** Tell the engine this tab's view now (a new engine behind the link has not heard it). */
  refresh(): void {
    this.report();
  }

  private report(): void {
    if (!hasDocument()) return;
    this.deps.setTabView({ visible: document.visibilityState === 'visible', notify: this.options !== null });
  }
}

function defaultFormat(message: Message): { title: string; body: string } {
  const c = message.content as { type: string; text?: unknown; title?: unknown };
  const body = c.type === 'text' && typeof c.text === 'string' ? c.text : typeof c.title === 'string' ? c.title : `[${c.type}]`;
  return { title: 'New message', body: body.slice(0, 200) };
}
