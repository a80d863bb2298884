/**
 * The composer's media input for `<parley-chat>`: images from the picker, a paste or a drop sent
 * with client.sendImage (several files become several messages, in the order given, even across
 * quick successive picks), and voice messages recorded and sent with client.sendVoice.
 */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../../client/ParleyClient';
import type { LocalMessage } from '../../../worker/protocol';
import { VoiceRecorderController } from '../../controllers/VoiceRecorderController';
import type { ParleyErrorAction } from '../../events';
import type { MessageKey } from '../../i18n/locale';
import { audioFocus } from '../../media/audioFocus';
import { RecorderErrorCode, type RecorderError } from '../../media/voiceRecorder';
import type { RecorderPanelProps } from './recorderPanel';

export interface MediaInputHooks {
  /** Where a message goes now: the client and conversation, or null when there is none. */
  target(): { client: ParleyClient; conversationId: string } | null;
  /** Longest voice recording (ChatConfig.voiceMaxMs). */
  voiceMaxMs(): number;
  /** A message was stored (pending). */
  sent(message: LocalMessage): void;
  /** Something failed; `text` is what to tell the user (default: a generic message with the code). */
  failed(action: ParleyErrorAction, err: unknown, text?: MessageKey): void;
  /** Tell the user something that is not an error: shown in the status line and announced. */
  hint(text: MessageKey): void;
  /** Tell screen reader users only. */
  announce(text: MessageKey): void;
  /** Elements of the host's shadow root (to focus and click). */
  query<T extends HTMLElement>(selector: string): T | null;
}

const RECORDER_TEXT: Record<string, MessageKey> = {
  [RecorderErrorCode.MIC_DENIED]: 'recorder.denied',
  [RecorderErrorCode.MIC_NOT_FOUND]: 'recorder.noMic',
  [RecorderErrorCode.MIC_BUSY]: 'recorder.busy',
  [RecorderErrorCode.RECORDER_UNSUPPORTED]: 'recorder.unsupported',
  [RecorderErrorCode.RECORDER_FAILED]: 'recorder.failed',
};

/** The image files among `items` (a paste or a drop may carry text and other files too). */
export function imageFiles(items: Iterable<File> | ArrayLike<File> | null | undefined): File[] {
  return items ? Array.from(items).filter((f) => f.type.startsWith('image/')) : [];
}

export class MediaInput {
  /** Images handed over and not yet stored as messages. */
  private preparing = 0;
  /** Sends run one after the other, so messages keep the order the files were given in. */
  private queue: Promise<void> = Promise.resolve();
  readonly recorder: VoiceRecorderController;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly hooks: MediaInputHooks,
  ) {
    this.recorder = new VoiceRecorderController(host, {
      maxMs: () => hooks.voiceMaxMs(),
      onLimit: () => void this.finishVoice(true),
      onError: (err) => this.recorderFailed(err),
    });
  }

  /** Whether images are being prepared (the composer says so). */
  get preparingImages(): boolean {
    return this.preparing > 0;
  }

  // ---- images ---------------------------------------------------------------------------------

  /** Open the file picker (call within the user's click, or the browser ignores it). */
  pickImages(): void {
    this.hooks.query<HTMLInputElement>('input[part~="image-input"]')?.click();
  }

  readonly onImagesPicked = (e: Event): void => {
    const input = e.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = ''; // choosing the same file again must fire 'change' again
    this.sendImages(files);
  };

  /**
   * A pasted image (a screenshot, a copied picture) is sent. A paste that also carries text is
   * left to the textarea: office apps put a picture of the copied text next to the text itself.
   */
  readonly onPaste = (e: ClipboardEvent): void => {
    const files = imageFiles(e.clipboardData?.files);
    if (!files.length || e.clipboardData?.getData('text/plain')) return;
    e.preventDefault();
    this.sendImages(files);
  };

  readonly onDragOver = (e: DragEvent): void => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault(); // allows the drop
    e.dataTransfer.dropEffect = 'copy';
  };

  readonly onDrop = (e: DragEvent): void => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault(); // never let the browser navigate to the dropped file
    this.sendImages(imageFiles(e.dataTransfer.files));
  };

  /** Send each image as its own message, in order. */
  sendImages(files: readonly Blob[]): void {
    const target = this.hooks.target();
    if (!target || !files.length) return;
    this.preparing += files.length;
    this.host.requestUpdate();
    for (const file of files) {
      this.queue = this.queue.then(async () => {
        try {
          this.hooks.sent(await target.client.sendImage(target.conversationId, file));
        } catch (err) {
          this.hooks.failed('send-image', err);
        } finally {
          this.preparing--;
          this.host.requestUpdate();
        }
      });
    }
  }

  // ---- voice ----------------------------------------------------------------------------------

  /** Ask for the microphone and record (focus moves to the recorder's Send button). */
  async startVoice(): Promise<void> {
    if (this.recorder.status !== 'idle') {
      this.focus('[part~="voice-send"]');
      return;
    }
    audioFocus.silence(); // do not record the chat's own playback
    try {
      if (!(await this.recorder.start())) return;
      this.hooks.announce('recorder.recording');
      this.focus('[part~="voice-send"]');
    } catch (err) {
      this.recorderFailed(err as RecorderError);
    }
  }

  /** Stop and send the recording (`limit`: the maximum length was reached). */
  async finishVoice(limit = false): Promise<void> {
    const target = this.hooks.target();
    if (limit) this.hooks.hint('recorder.limit');
    const result = await this.recorder.stop();
    this.focus('[part~="voice-button"]');
    if (result.status === 'too_short') this.hooks.hint('recorder.tooShort');
    if (result.status !== 'recorded' || !target) return;
    this.queue = this.queue.then(async () => {
      try {
        this.hooks.sent(await target.client.sendVoice(target.conversationId, result.blob, result.durationMs));
      } catch (err) {
        this.hooks.failed('send-voice', err);
      }
    });
    await this.queue;
  }

  /** Discard the recording and release the microphone. */
  cancelVoice(): void {
    const wasRecording = this.recorder.status !== 'idle';
    this.recorder.cancel();
    if (wasRecording) {
      this.hooks.announce('recorder.cancelled');
      this.focus('[part~="voice-button"]');
    }
  }

  /** The recorder's panel props for the composer. */
  panel(): Omit<RecorderPanelProps, 't'> {
    return {
      status: this.recorder.status,
      elapsedMs: this.recorder.elapsed,
      maxMs: this.recorder.maxMs,
      onSend: () => void this.finishVoice(),
      onCancel: () => this.cancelVoice(),
    };
  }

  private recorderFailed(err: RecorderError): void {
    this.hooks.failed('record-voice', err, RECORDER_TEXT[err?.code] ?? 'recorder.failed');
    this.focus('[part~="voice-button"]');
  }

  private focus(selector: string): void {
    void this.host.updateComplete.then(() => this.hooks.query<HTMLElement>(selector)?.focus());
  }
}
