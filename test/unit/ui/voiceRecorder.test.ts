import { describe, expect, it, vi } from 'vitest';
import {
  MIN_VOICE_MS,
  RecorderError,
  VoiceRecorder,
  type RecorderDeps,
  type RecorderLike,
  type StreamLike,
} from '../../../ui/media/voiceRecorder';

class FakeTrack {
  stopped = false;
  stop(): void {
    this.stopped = true;
  }
}

class FakeStream implements StreamLike {
  readonly tracks = [new FakeTrack()];
  getTracks() {
    return this.tracks;
  }
  get released(): boolean {
    return this.tracks.every((t) => t.stopped);
  }
}

/** MediaRecorder as the browser runs it: data on stop, then 'stop' (here when the test says). */
class FakeRecorder implements RecorderLike {
  state: 'inactive' | 'recording' = 'inactive';
  ondataavailable: ((e: { data: Blob }) => void) | null = null;
  onstop: (() => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly mimeType: string) {}
  start(): void {
    this.state = 'recording';
  }
  stop(): void {
    this.state = 'inactive';
  }
  /** The browser flushes what it recorded and reports the stop. */
  flush(bytes = 1000): void {
    this.ondataavailable?.({ data: new Blob([new Uint8Array(bytes)], { type: this.mimeType }) });
    this.onstop?.();
  }
}

function setup(opts: { supported?: string[]; maxMs?: number; deny?: string } = {}) {
  let now = 1000;
  const timers = new Map<number, { fn: () => void; at: number }>();
  let nextTimer = 1;
  const streams: FakeStream[] = [];
  const recorders: FakeRecorder[] = [];
  let grant: ((s: FakeStream) => void) | null = null;
  let refuse: ((e: unknown) => void) | null = null;
  const supported = opts.supported ?? ['audio/webm;codecs=opus'];
  const deps: RecorderDeps = {
    getUserMedia: vi.fn(
      () =>
        new Promise<StreamLike>((resolve, reject) => {
          grant = (s) => resolve(s);
          refuse = reject;
        }),
    ),
    createRecorder: (_stream, mimeType) => {
      const r = new FakeRecorder(mimeType);
      recorders.push(r);
      return r;
    },
    isTypeSupported: (t) => supported.includes(t),
    now: () => now,
    setTimer: (fn, ms) => {
      timers.set(nextTimer, { fn, at: now + ms });
      return nextTimer++;
    },
    clearTimer: (h) => void timers.delete(h as number),
  };
  const onLimit = vi.fn();
  const onError = vi.fn();
  const recorder = new VoiceRecorder(deps, { maxMs: opts.maxMs ?? 60_000, onLimit, onError });
  return {
    deps,
    recorder,
    onLimit,
    onError,
    streams,
    recorders,
    timers,
    /** The user answers the permission prompt. */
    allow(): FakeStream {
      const s = new FakeStream();
      streams.push(s);
      grant!(s);
      return s;
    },
    deny(name: string): void {
      refuse!(Object.assign(new Error(name), { name }));
    },
    advance(ms: number): void {
      now += ms;
      for (const [id, t] of [...timers]) {
        if (t.at <= now) {
          timers.delete(id);
          t.fn();
        }
      }
    },
  };
}

describe('VoiceRecorder', () => {
  it('records in an accepted format and hands over the measured length, releasing the mic', async () => {
    const t = setup({ supported: ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus'] });
    const started = t.recorder.start();
    expect(t.recorder.status).toBe('requesting');
    const stream = t.allow();
    expect(await started).toBe(true);
    expect(t.recorder.status).toBe('recording');
    expect(t.recorders[0]!.mimeType).toBe('audio/webm;codecs=opus'); // the preferred one that is supported
    t.advance(3_200);
    expect(t.recorder.elapsed()).toBe(3_200);
    const stopped = t.recorder.stop();
    expect(t.recorder.status).toBe('stopping');
    t.advance(50); // the recorder takes a moment to flush: the length is when the user pressed stop
    t.recorders[0]!.flush();
    const result = await stopped;
    expect(result).toMatchObject({ status: 'recorded', durationMs: 3_200, mime: 'audio/webm' });
    if (result.status === 'recorded') expect(result.blob.type).toBe('audio/webm'); // no codecs parameter
    expect(stream.released).toBe(true);
    expect(t.recorder.status).toBe('idle');
  });

  it('discards a recording under the minimum length', async () => {
    const t = setup();
    const started = t.recorder.start();
    const stream = t.allow();
    await started;
    t.advance(MIN_VOICE_MS - 1);
    const stopped = t.recorder.stop();
    t.recorders[0]!.flush();
    expect(await stopped).toEqual({ status: 'too_short', durationMs: MIN_VOICE_MS - 1 });
    expect(stream.released).toBe(true);
  });

  it('calls onLimit at the maximum length, and never reports more than it', async () => {
    const t = setup({ maxMs: 5_000 });
    const started = t.recorder.start();
    t.allow();
    await started;
    t.advance(4_999);
    expect(t.onLimit).not.toHaveBeenCalled();
    t.advance(1);
    expect(t.onLimit).toHaveBeenCalledTimes(1);
    t.advance(30); // the host stops a moment later
    const stopped = t.recorder.stop();
    t.recorders[0]!.flush();
    expect(await stopped).toMatchObject({ status: 'recorded', durationMs: 5_000 });
    expect(t.timers.size).toBe(0);
  });

  it('cancel discards the recording and releases the mic', async () => {
    const t = setup();
    const started = t.recorder.start();
    const stream = t.allow();
    await started;
    t.advance(2_000);
    t.recorder.cancel();
    expect(stream.released).toBe(true);
    expect(t.recorders[0]!.state).toBe('inactive');
    expect(t.recorder.status).toBe('idle');
    expect(t.timers.size).toBe(0);
    t.recorders[0]!.flush(); // a late flush from the browser is ignored
    expect(await t.recorder.stop()).toEqual({ status: 'cancelled' });
  });

  it('cancel while stopping settles the pending stop as cancelled', async () => {
    const t = setup();
    const started = t.recorder.start();
    t.allow();
    await started;
    t.advance(1_000);
    const stopped = t.recorder.stop();
    t.recorder.cancel();
    expect(await stopped).toEqual({ status: 'cancelled' });
  });

  it('releases a microphone granted after the user already cancelled', async () => {
    const t = setup();
    const started = t.recorder.start();
    t.recorder.cancel();
    const stream = t.allow();
    expect(await started).toBe(false);
    expect(stream.released).toBe(true);
    expect(t.recorders).toHaveLength(0);
    expect(t.recorder.status).toBe('idle');
  });

  it.each([
    ['NotAllowedError', 'MIC_DENIED'],
    ['SecurityError', 'MIC_DENIED'],
    ['NotFoundError', 'MIC_NOT_FOUND'],
    ['NotReadableError', 'MIC_BUSY'],
    ['TypeError', 'RECORDER_UNSUPPORTED'],
  ])('maps a refused microphone (%s) to %s', async (name, code) => {
    const t = setup();
    const started = t.recorder.start();
    t.deny(name);
    await expect(started).rejects.toMatchObject({ name: 'RecorderError', code });
    expect(t.recorder.status).toBe('idle');
  });

  it('refuses at once where no accepted format or no recorder exists', async () => {
    await expect(setup({ supported: ['audio/x-unknown'] }).recorder.start()).rejects.toBeInstanceOf(RecorderError);
    const t = setup();
    t.deps.createRecorder = undefined;
    await expect(t.recorder.start()).rejects.toMatchObject({ code: 'RECORDER_UNSUPPORTED' });
    expect(t.deps.getUserMedia).not.toHaveBeenCalled(); // no prompt for something that cannot work
  });

  it('a recorder error mid-recording releases the mic and reports it', async () => {
    const t = setup();
    const started = t.recorder.start();
    const stream = t.allow();
    await started;
    t.recorders[0]!.onerror?.(new Error('device lost'));
    expect(stream.released).toBe(true);
    expect(t.onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'RECORDER_FAILED' }));
    expect(t.recorder.status).toBe('idle');
  });

  it('a MediaRecorder that cannot start releases the mic', async () => {
    const t = setup();
    t.deps.createRecorder = () => {
      throw Object.assign(new Error('nope'), { name: 'NotSupportedError' });
    };
    const started = t.recorder.start();
    const stream = t.allow();
    await expect(started).rejects.toMatchObject({ code: 'RECORDER_UNSUPPORTED' });
    expect(stream.released).toBe(true);
  });
});
