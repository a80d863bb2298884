/**
 * Whether the host is actually seen: the page is visible and the element intersects the viewport
 * (a closed widget panel or a hidden tab does not count). Calls onVisible whenever it becomes so,
 * e.g. to mark a conversation read.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class VisibilityController implements ReactiveController {
  private intersecting = false;
  private observer: IntersectionObserver | null = null;
  private readonly onPageVisibility = () => this.changed();

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly onVisible: () => void,
  ) {
    host.addController(this);
  }

  get visible(): boolean {
    return this.intersecting && document.visibilityState === 'visible';
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.onPageVisibility);
    if (typeof IntersectionObserver === 'undefined') {
      this.intersecting = true;
      return;
    }
    this.observer = new IntersectionObserver((entries) => {
      this.intersecting = entries.some((e) => e.isIntersecting);
      this.changed();
    });
    this.observer.observe(this.host);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.onPageVisibility);
    this.observer?.disconnect();
    this.observer = null;
    this.intersecting = false;
  }

  private changed(): void {
    if (this.visible) this.onVisible();
  }
}
