/**
 * `<parley-voice-player>`: the kit's voice message player: a play/pause toggle, a progress bar and
 * elapsed / total time. The total comes from the message (`duration-ms`), not from the file:
 * MediaRecorder's WebM has no duration in its header, so `audio.duration` is Infinity there.
 * Only one sound plays at a time on the page (ui/media/audioFocus.ts). The host element carries
 * `data-playing` while playing and `data-state` (`loading`, `ready`, `playing`, `unavailable`).
 *
 * Give it a loadable `src` (from TemplateContext.mediaUrl, never a raw content ref); null while it
 * resolves. It fires a plain (non-bubbling) `media-error` event when the audio fails to load.
 */
import { css, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import { formatDuration } from '../i18n/format';
import { audioFocus, type FocusPlayer } from '../media/audioFocus';
import { themeStyles } from '../theme';
import { ParleyElement } from './ParleyElement';

export class ParleyVoicePlayer extends ParleyElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: inline-block;
        inline-size: var(--parley-voice-width, 220px);
        max-inline-size: 100%;
        color: inherit;
      }
      .player {
        display: flex;
        align-items: center;
        gap: var(--_gap);
      }
      .play {
        flex: none;
        display: grid;
        place-items: center;
        inline-size: 2.2em;
        block-size: 2.2em;
        padding: 0;
        border: 2px solid currentColor;
        border-radius: 50%;
        background: none;
      }
      .play svg {
        inline-size: 1em;
        block-size: 1em;
        fill: currentColor;
      }
      .track {
        flex: 1;
        min-inline-size: 3em;
        block-size: 4px;
        border-radius: 2px;
        background: color-mix(in srgb, currentColor 25%, transparent);
        overflow: hidden;
      }
      .fill {
        block-size: 100%;
        background: currentColor;
      }
      .time {
        flex: none;
        font-size: 0.8em;
        font-variant-numeric: tabular-nums;
        opacity: 0.85;
      }
    `,
  ];
  static override properties: PropertyDeclarations = {
    src: { attribute: false },
    durationMs: { type: Number, attribute: 'duration-ms' },
    unavailable: { type: Boolean },
    playing: { state: true },
    elapsedMs: { state: true },
    failed: { state: true },
  };

  /** A loadable audio URL, or null while it is being resolved. */
  declare src: string | null;
  /** Length of the recording in milliseconds (from the message content). */
  declare durationMs: number;
  /** The host knows the audio cannot be had (e.g. its ref failed to resolve). */
  declare unavailable: boolean;
  private declare playing: boolean;
  private declare elapsedMs: number;
  private declare failed: boolean;

  /** The src the <audio> plays: a new src waits until playback stops, so it is never cut off. */
  private activeSrc: string | null = null;
  private frame = 0;
  private unregister: (() => void) | null = null;
  private readonly focusHandle: FocusPlayer = { pause: () => this.audio?.pause() };

  constructor() {
    super();
    this.src = null;
    this.durationMs = 0;
    this.unavailable = false;
    this.playing = false;
    this.elapsedMs = 0;
    this.failed = false;
  }

  private get audio(): HTMLAudioElement | null {
    return this.renderRoot?.querySelector('audio') ?? null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unregister = audioFocus.register(this.focusHandle);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.audio?.pause();
    this.stopFrames();
    this.unregister?.();
    this.unregister = null;
  }

  /** Start playing (pausing every other sound on the page). */
  play(): void {
    const audio = this.audio;
    if (!audio || !this.activeSrc || this.broken) return;
    audioFocus.acquire(this.focusHandle);
    audio.play().catch((err: unknown) => {
      // AbortError: paused (or the source changed) before playback began. Load failures arrive
      // as the element's 'error' event; what is left (an autoplay refusal) changes nothing here.
      if ((err as { name?: string } | null)?.name !== 'AbortError') console.warn('parley: voice playback refused', err);
    });
  }

  /** Pause. */
  pause(): void {
    this.audio?.pause();
  }

  private get broken(): boolean {
    return this.unavailable || this.failed;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('src') && !this.playing && this.src !== this.activeSrc) {
      this.activeSrc = this.src;
      this.failed = false;
      this.elapsedMs = 0;
    }
  }

  protected override updated(): void {
    const state = this.broken ? 'unavailable' : this.playing ? 'playing' : this.activeSrc ? 'ready' : 'loading';
    this.dataset.state = state;
    this.toggleAttribute('data-playing', this.playing);
  }

  private toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  private onPlay = (): void => {
    audioFocus.acquire(this.focusHandle); // also when started by other means (media keys, devtools)
    this.playing = true;
    const step = () => {
      this.readTime();
      this.frame = requestAnimationFrame(step);
    };
    this.stopFrames();
    this.frame = requestAnimationFrame(step);
  };

  private onPause = (): void => {
    this.stopFrames();
    this.readTime();
    this.playing = false;
    if (this.src !== this.activeSrc) this.requestUpdate('src'); // apply a src that arrived meanwhile
  };

  private onEnded = (): void => {
    const audio = this.audio;
    if (audio) audio.currentTime = 0;
    this.onPause();
    this.elapsedMs = 0;
  };

  private onError = (): void => {
    this.stopFrames();
    this.playing = false;
    this.failed = true;
    this.dispatchEvent(new Event('media-error'));
  };

  private readTime(): void {
    const t = this.audio?.currentTime ?? 0;
    this.elapsedMs = Number.isFinite(t) ? t * 1000 : 0;
  }

  private stopFrames(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  protected override render(): unknown {
    const t = this.t;
    const total = Math.max(0, Number(this.durationMs) || 0);
    const elapsed = Math.min(this.elapsedMs, total || this.elapsedMs);
    const fraction = total > 0 ? Math.min(1, elapsed / total) : 0;
    const totalText = formatDuration(total, { round: true });
    const elapsedText = formatDuration(elapsed);
    const started = this.playing || elapsed > 0;
    const label = t('message.voice', { seconds: Math.max(1, Math.round(total / 1000)) });
    return html`<div class="player" role="group" aria-label=${label}>
      <button type="button" part="voice-play" class="play" aria-label=${t('voice.play')} aria-pressed=${this.playing ? 'true' : 'false'}
        ?disabled=${!this.activeSrc || this.broken} @click=${() => this.toggle()}>
        ${this.playing
          ? html`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 5h4v14H7zM13 5h4v14h-4z" /></svg>`
          : html`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M8 5v14l11-7z" /></svg>`}
      </button>
      <div part="voice-progress" class="track" role="progressbar" aria-label=${t('voice.progress')} aria-valuemin="0"
        aria-valuemax=${Math.round(total / 1000)} aria-valuenow=${Math.floor(elapsed / 1000)}
        aria-valuetext=${t('voice.position', { elapsed: elapsedText, total: totalText })}>
        <div class="fill" style=${styleMap({ inlineSize: `${(fraction * 100).toFixed(2)}%` })}></div>
      </div>
      <span part="voice-time" class="time">${this.broken
        ? t('voice.unavailable')
        : started
          ? `${elapsedText} / ${totalText}`
          : totalText}</span>
      <audio preload="none" src=${this.activeSrc ?? nothing} @play=${this.onPlay} @pause=${this.onPause} @ended=${this.onEnded}
        @error=${this.onError}></audio>
    </div>`;
  }
}
