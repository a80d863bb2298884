/**
 * One notification per message across all of a user's tabs: when someone else's message arrives and
 * none of the tabs is visible, the engine picks the tab to show it, the one most recently seen
 * visible among those that turned notifications on, and tells every tab which one it is (a `notify`
 * event naming the tab). The picked tab confirms; if it does not within ACK_MS (closed, frozen,
 * throttled) the next candidate is asked, each tab once. Tabs report their view as it changes and
 * every VIEW_REFRESH_MS; one not heard from for VIEW_TTL_MS is forgotten (a closed tab of a browser
 * without SharedWorker, which the engine cannot see go).
 */
import type { Message } from '../../schema';
import type { Platform, TimerId } from '../platform';
import type { EngineEvent, TabView } from '../protocol';
import { VIEW_TTL_MS } from './tabView';

/** How long a picked tab has to confirm it showed the notification. */
export const ACK_MS = 3_000;
/** Older messages (a catch-up after a long absence) are not notified one by one. */
const MAX_AGE_MS = 60_000;
/** Messages remembered as notified (a replay after a worker restart must not notify again). */
const REMEMBERED = 1_000;

interface Known extends TabView {
  /** When it was last reported visible (0: never). */
  visibleAt: number;
  heardAt: number;
}

interface Pending {
  message: Message;
  tried: Set<string>;
  timer: TimerId;
}

export class NotificationPicker {
  private readonly tabs = new Map<string, Known>();
  private readonly pending = new Map<string, Pending>();
  private readonly notified = new Set<string>();

  constructor(
    private readonly platform: Platform,
    /** Broadcast to every tab. */
    private readonly emit: (event: Extract<EngineEvent, { type: 'notify' }>) => void,
    /** The ids that are this user (their own, their shop's): their messages are never notified. */
    private readonly own: () => readonly string[],
  ) {}

  setView(tabId: string, view: TabView): void {
    const now = this.platform.clock.now();
    const known = this.tabs.get(tabId);
    // A tab that was visible until this report was seen visible now: the last one hidden was used last.
    const visibleAt = view.visible || known?.visible ? now : (known?.visibleAt ?? 0);
    this.tabs.set(tabId, { ...view, visibleAt, heardAt: now });
  }

  forget(tabId: string): void {
    this.tabs.delete(tabId);
  }

  /** The picked tab showed the notification. */
  shown(messageId: string): void {
    const p = this.pending.get(messageId);
    if (!p) return;
    this.platform.timers.clearTimeout(p.timer);
    this.pending.delete(messageId);
  }

  /** A message arrived (pushed, not yet stored): notify it if it is someone else's and nobody is looking. */
  arrived(message: Message): void {
    const now = this.platform.clock.now();
    if (now - message.serverTs > MAX_AGE_MS || this.notified.has(message.id) || this.pending.has(message.id)) return;
    this.expire(now);
    // Someone is looking (the usual case): nothing more to work out.
    if ([...this.tabs.values()].some((t) => t.visible)) return;
    if (this.own().includes(message.senderId)) return;
    this.remember(message.id);
    this.ask({ message, tried: new Set(), timer: 0 });
  }

  private ask(p: Pending): void {
    const candidates = [...this.tabs]
      .filter(([id, t]) => t.notify && !p.tried.has(id))
      .sort(([, a], [, b]) => b.visibleAt - a.visibleAt || b.heardAt - a.heardAt);
    const next = candidates[0];
    if (!next) {
      this.pending.delete(p.message.id);
      return;
    }
    const [tabId] = next;
    p.tried.add(tabId);
    p.timer = this.platform.timers.setTimeout(() => this.ask(p), ACK_MS);
    this.pending.set(p.message.id, p);
    this.emit({ type: 'notify', tabId, message: p.message });
  }

  private expire(now: number): void {
    for (const [id, t] of this.tabs) if (now - t.heardAt > VIEW_TTL_MS) this.tabs.delete(id);
  }

  private remember(messageId: string): void {
    if (this.notified.size >= REMEMBERED) this.notified.delete(this.notified.values().next().value as string);
    this.notified.add(messageId);
  }
}
