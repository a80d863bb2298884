/**
 * Recording one voice message: the microphone through getUserMedia, MediaRecorder in a format the
 * server accepts, a hard length limit, and the microphone released on every way out (stop, cancel,
 * failure, or a cancel that arrives while the permission prompt is still open).
 *
 * The browser is injected (RecorderDeps), so the state machine is unit-tested with fakes and a
 * manual clock; browserRecorderDeps() supplies the real one.
 */

/** Recordings shorter than this are discarded (a tap, not a message). */
export const MIN_VOICE_MS = 500;

/**
 * Formats in order of preference. The server accepts audio/webm, audio/ogg, audio/mp4 and
 * audio/mpeg: Opus in WebM (Chromium, Firefox), Opus in Ogg (Firefox), AAC in MP4 (Safari).
 */
export const VOICE_MIME_TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4', 'audio/webm', 'audio/ogg', 'audio/mpeg'];
const ACCEPTED = new Set(['audio/webm', 'audio/ogg', 'audio/mp4', 'audio/mpeg']);

/** Why recording could not start or went wrong. */
export const RecorderErrorCode = {
  /** The user or a policy refused the microphone. */
  MIC_DENIED: 'MIC_DENIED',
  /** No microphone. */
  MIC_NOT_FOUND: 'MIC_NOT_FOUND',
  /** The microphone exists but could not be opened (another app holds it, hardware error). */
  MIC_BUSY: 'MIC_BUSY',
  /** No getUserMedia/MediaRecorder (or an insecure page), or no format the server accepts. */
  RECORDER_UNSUPPORTED: 'RECORDER_UNSUPPORTED',
  /** The recorder failed while recording. */
  RECORDER_FAILED: 'RECORDER_FAILED',
} as const;
export type RecorderErrorCode = (typeof RecorderErrorCode)[keyof typeof RecorderErrorCode];

export class RecorderError extends Error {
  override readonly name = 'RecorderError';
  constructor(
    readonly code: RecorderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface StreamLike {
  getTracks(): { stop(): void }[];
}

/** The parts of MediaRecorder used here. */
export interface RecorderLike {
  readonly mimeType: string;
  start(timesliceMs?: number): void;
  stop(): void;
  ondataavailable: ((e: { data: Blob }) => void) | null;
  onstop: (() => void) | null;
  onerror: ((e: unknown) => void) | null;
}

export interface RecorderDeps {
  /** navigator.mediaDevices.getUserMedia; undefined where the page cannot record. */
  getUserMedia: ((constraints: { audio: true }) => Promise<StreamLike>) | undefined;
  /** new MediaRecorder(stream, {mimeType}); undefined where MediaRecorder is missing. */
  createRecorder: ((stream: StreamLike, mimeType: string) => RecorderLike) | undefined;
  isTypeSupported(mimeType: string): boolean;
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export type RecorderStatus = 'idle' | 'requesting' | 'recording' | 'stopping';

export type StopResult =
  | { status: 'recorded'; blob: Blob; durationMs: number; mime: string }
  | { status: 'too_short'; durationMs: number }
  | { status: 'cancelled' };

export interface RecorderOptions {
  /** The longest recording; at this length onLimit is called (the caller stops and sends). */
  maxMs: number;
  onLimit?: () => void;
  /** The recorder failed mid-recording (the microphone is already released). */
  onError?: (err: RecorderError) => void;
  /** The status changed. */
  onChange?: () => void;
}

interface Session {
  stream: StreamLike | null;
  recorder: RecorderLike | null;
  chunks: Blob[];
  mime: string;
  startedAt: number;
  stoppedAt: number | null;
  limitTimer: unknown;
  /** Resolves stop()'s promise when the recorder has flushed its last data. */
  finish: ((result: StopResult) => void) | null;
}

export class VoiceRecorder {
  private session: Session | null = null;
  private current: RecorderStatus = 'idle';

  constructor(
    private readonly deps: RecorderDeps,
    private readonly opts: RecorderOptions,
  ) {}

  get status(): RecorderStatus {
    return this.current;
  }

  /** Milliseconds recorded so far (frozen once stopping; 0 when not recording). */
  elapsed(): number {
    const s = this.session;
    if (!s || this.current === 'requesting' || this.current === 'idle') return 0;
    return Math.min(this.opts.maxMs, (s.stoppedAt ?? this.deps.now()) - s.startedAt);
  }

  /**
   * Ask for the microphone and start recording. Resolves true once recording, false when
   * cancel() came first; rejects with a RecorderError (the microphone released).
   */
  async start(): Promise<boolean> {
    if (this.current !== 'idle') return this.current === 'recording';
    const { getUserMedia, createRecorder } = this.deps;
    const mime = VOICE_MIME_TYPES.find((t) => this.deps.isTypeSupported(t));
    if (!getUserMedia || !createRecorder || !mime) {
      throw new RecorderError(RecorderErrorCode.RECORDER_UNSUPPORTED, 'this browser cannot record audio in an accepted format');
    }
    const session: Session = { stream: null, recorder: null, chunks: [], mime, startedAt: 0, stoppedAt: null, limitTimer: null, finish: null };
    this.session = session;
    this.set('requesting');
    let stream: StreamLike;
    try {
      stream = await getUserMedia({ audio: true });
    } catch (err) {
      if (this.session !== session) return false; // cancelled meanwhile: nobody is waiting for the reason
      this.end();
      throw micError(err);
    }
    if (this.session !== session) {
      release(stream); // cancelled while the prompt was open: give the microphone straight back
      return false;
    }
    session.stream = stream;
    try {
      const recorder = createRecorder(stream, mime);
      session.recorder = recorder;
      recorder.ondataavailable = (e) => {
        if (e.data && e.data.size > 0) session.chunks.push(e.data);
      };
      recorder.onstop = () => this.flushed(session);
      recorder.onerror = (e) => this.failed(session, e);
      recorder.start(1000);
    } catch (err) {
      this.end();
      throw new RecorderError(RecorderErrorCode.RECORDER_UNSUPPORTED, 'MediaRecorder could not start', { cause: err });
    }
    session.startedAt = this.deps.now();
    session.limitTimer = this.deps.setTimer(() => this.opts.onLimit?.(), this.opts.maxMs);
    this.set('recording');
    return true;
  }

  /**
   * Stop and hand over the recording: 'recorded' with the audio and its measured length,
   * 'too_short' under MIN_VOICE_MS (discarded), 'cancelled' when nothing was recording.
   */
  stop(): Promise<StopResult> {
    const s = this.session;
    if (!s || this.current !== 'recording' || !s.recorder) {
      if (this.current === 'requesting') this.cancel();
      return Promise.resolve({ status: 'cancelled' });
    }
    s.stoppedAt = this.deps.now();
    this.deps.clearTimer(s.limitTimer);
    this.set('stopping');
    const done = new Promise<StopResult>((resolve) => (s.finish = resolve));
    try {
      s.recorder.stop(); // the last dataavailable, then stop, follow
    } catch {
      this.flushed(s);
    }
    return done;
  }

  /** Discard whatever is being recorded and release the microphone. Safe in any state. */
  cancel(): void {
    const s = this.session;
    if (!s) return;
    s.finish?.({ status: 'cancelled' });
    s.finish = null;
    if (s.recorder) {
      s.recorder.ondataavailable = null;
      s.recorder.onstop = null;
      s.recorder.onerror = null;
      try {
        s.recorder.stop();
      } catch {
        // already inactive
      }
    }
    this.end();
  }

  private flushed(s: Session): void {
    if (this.session !== s) return;
    const finish = s.finish;
    s.finish = null;
    const durationMs = Math.min(this.opts.maxMs, Math.round((s.stoppedAt ?? this.deps.now()) - s.startedAt));
    // The container's type without codec parameters: what the server's allow-list names.
    const mime = baseType(s.recorder?.mimeType || s.mime);
    const blob = new Blob(s.chunks, { type: ACCEPTED.has(mime) ? mime : baseType(s.mime) });
    this.end();
    if (!finish) return;
    if (durationMs < MIN_VOICE_MS || blob.size === 0) finish({ status: 'too_short', durationMs });
    else finish({ status: 'recorded', blob, durationMs, mime: blob.type });
  }

  private failed(s: Session, cause: unknown): void {
    if (this.session !== s) return;
    s.finish?.({ status: 'cancelled' });
    s.finish = null;
    this.end();
    this.opts.onError?.(new RecorderError(RecorderErrorCode.RECORDER_FAILED, 'the recorder failed', { cause }));
  }

  /** Back to idle: timer cleared, microphone released, session forgotten. */
  private end(): void {
    const s = this.session;
    this.session = null;
    if (s) {
      this.deps.clearTimer(s.limitTimer);
      if (s.stream) release(s.stream);
    }
    this.set('idle');
  }

  private set(status: RecorderStatus): void {
    if (this.current === status) return;
    this.current = status;
    this.opts.onChange?.();
  }
}

function release(stream: StreamLike): void {
  for (const track of stream.getTracks()) track.stop();
}

function baseType(mime: string): string {
  return mime.split(';')[0]!.trim().toLowerCase();
}

/** getUserMedia's DOMException names → our codes. */
function micError(err: unknown): RecorderError {
  const name = (err as { name?: unknown } | null)?.name;
  const code =
    name === 'NotAllowedError' || name === 'SecurityError'
      ? RecorderErrorCode.MIC_DENIED
      : name === 'NotFoundError' || name === 'OverconstrainedError'
        ? RecorderErrorCode.MIC_NOT_FOUND
        : name === 'NotReadableError' || name === 'AbortError'
          ? RecorderErrorCode.MIC_BUSY
          : RecorderErrorCode.RECORDER_UNSUPPORTED;
  return new RecorderError(code, `microphone: ${String(name ?? err)}`, { cause: err });
}

/** The real browser, looked up when called (not at import, so Node can import this module). */
export function browserRecorderDeps(): RecorderDeps {
  const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
  const Recorder = typeof MediaRecorder === 'undefined' ? undefined : MediaRecorder;
  return {
    getUserMedia: devices?.getUserMedia ? (c) => devices.getUserMedia(c) : undefined,
    createRecorder: Recorder ? (stream, mimeType) => new Recorder(stream as MediaStream, { mimeType }) as unknown as RecorderLike : undefined,
    isTypeSupported: (t) => Recorder?.isTypeSupported?.(t) ?? false,
    now: () => performance.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}
