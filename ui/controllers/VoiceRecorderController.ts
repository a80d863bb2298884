/**
 * A voice recording bound to an element: a VoiceRecorder with the element's length limit, a
 * re-render every few hundred milliseconds while recording (the timer), and the microphone
 * released when the element leaves the page.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { browserRecorderDeps, VoiceRecorder, type RecorderDeps, type RecorderError, type RecorderStatus, type StopResult } from '../media/voiceRecorder';

/** How often the timer is redrawn while recording. */
const TICK_MS = 250;

export interface VoiceRecorderHooks {
  /** The longest recording, read when one starts. */
  maxMs(): number;
  /** The limit was reached: the host stops and sends. */
  onLimit(): void;
  /** The recorder failed mid-recording. */
  onError(err: RecorderError): void;
}

export class VoiceRecorderController implements ReactiveController {
  private recorder: VoiceRecorder | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private limit = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly hooks: VoiceRecorderHooks,
    private readonly deps: () => RecorderDeps = browserRecorderDeps,
  ) {
    host.addController(this);
  }

  get status(): RecorderStatus {
    return this.recorder?.status ?? 'idle';
  }

  /** Milliseconds recorded so far. */
  get elapsed(): number {
    return this.recorder?.elapsed() ?? 0;
  }

  /** The limit of the current recording. */
  get maxMs(): number {
    return this.limit;
  }

  /** Ask for the microphone and record; see VoiceRecorder.start. */
  start(): Promise<boolean> {
    this.recorder?.cancel();
    this.limit = this.hooks.maxMs();
    const recorder = new VoiceRecorder(this.deps(), {
      maxMs: this.limit,
      onLimit: () => this.hooks.onLimit(),
      onError: (err) => this.hooks.onError(err),
      onChange: () => this.changed(),
    });
    this.recorder = recorder;
    return recorder.start();
  }

  /** Stop and hand over the recording; see VoiceRecorder.stop. */
  stop(): Promise<StopResult> {
    return this.recorder?.stop() ?? Promise.resolve({ status: 'cancelled' });
  }

  /** Discard the recording and release the microphone. */
  cancel(): void {
    this.recorder?.cancel();
  }

  hostDisconnected(): void {
    this.cancel();
    this.tick(false);
  }

  private changed(): void {
    this.tick(this.status === 'recording');
    this.host.requestUpdate();
  }

  private tick(on: boolean): void {
    if (on && !this.ticker) this.ticker = setInterval(() => this.host.requestUpdate(), TICK_MS);
    if (!on && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }
}
