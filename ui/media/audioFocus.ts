/**
 * Audio focus for the page: one sound at a time. Starting a kit voice message pauses every other
 * kit player (in any element, any shadow root) and the page's own playing `<audio>`/`<video>`;
 * page media starting pauses the kit's players.
 *
 * Why a registry and a document listener: media events ('play', 'pause') neither bubble nor are
 * composed, so a listener on the document never hears a player inside a shadow root. The kit's
 * players therefore register here and call acquire() themselves; the page's light-DOM media are
 * heard with one capturing 'play' listener on the document (capture runs from the document down
 * to the target even for events that do not bubble). Media inside someone else's shadow root, or
 * detached (`new Audio()`), cannot be heard or found: that is the platform's limit.
 *
 * The page is injected so the logic is testable with plain fake objects (no DOM in unit tests).
 */

/** What the registry needs from a kit player. */
export interface FocusPlayer {
  /** Stop playing (a no-op when not playing). */
  pause(): void;
}

/** What it needs from a page media element. */
export interface PageMedia {
  readonly paused: boolean;
  pause(): void;
}

/** What it needs from the page (the document in browsers). */
export interface FocusPage {
  addEventListener(type: 'play', listener: (e: { target: unknown }) => void, capture: boolean): void;
  removeEventListener(type: 'play', listener: (e: { target: unknown }) => void, capture: boolean): void;
  querySelectorAll(selector: 'audio, video'): Iterable<PageMedia>;
}

export class AudioFocus {
  private readonly players = new Set<FocusPlayer>();
  private page: FocusPage | null = null;

  /** @param pageOf the page to watch, or null where there is none (Node) */
  constructor(private readonly pageOf: () => FocusPage | null) {}

  /**
   * Add a player; returns its removal. The page listener exists only while at least one player
   * is registered, so a page without chat media carries no listener.
   */
  register(player: FocusPlayer): () => void {
    this.players.add(player);
    if (!this.page) {
      this.page = this.pageOf();
      this.page?.addEventListener('play', this.onPagePlay, true);
    }
    return () => {
      if (!this.players.delete(player) || this.players.size > 0) return;
      this.page?.removeEventListener('play', this.onPagePlay, true);
      this.page = null;
    };
  }

  /** `player` is starting: everything else goes quiet. */
  acquire(player: FocusPlayer): void {
    this.pauseAll(player);
  }

  /** Pause every kit player and the page's playing media (e.g. before recording a voice message). */
  silence(): void {
    this.pauseAll(null);
  }

  /** Number of registered players (for tests and diagnostics). */
  get size(): number {
    return this.players.size;
  }

  private pauseAll(except: FocusPlayer | null): void {
    for (const p of [...this.players]) if (p !== except) p.pause();
    // Ask the page now rather than tracking 'play' events: this also finds media that started
    // before the first player registered.
    const page = this.page ?? this.pageOf();
    if (!page) return;
    for (const media of page.querySelectorAll('audio, video')) if (!media.paused) media.pause();
  }

  private readonly onPagePlay = (): void => {
    // Only light-DOM media reach this listener (see above), never a kit player's own <audio>.
    for (const p of [...this.players]) p.pause();
  };
}

/** The page's one registry, shared by every kit element. */
export const audioFocus = new AudioFocus(() => (typeof document === 'undefined' ? null : (document as unknown as FocusPage)));
