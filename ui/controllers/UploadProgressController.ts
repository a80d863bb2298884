/** Upload progress of own pending media messages, live (client.on('upload')), for the image and voice templates. */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import { UploadProgress, type UploadFraction } from '../media/uploadProgress';
import { clientKey, Subscription } from './Subscription';

export class UploadProgressController {
  private readonly progress = new UploadProgress();

  /** @param conversationId only uploads of this conversation re-render the host (all are recorded) */
  constructor(host: ReactiveControllerHost, client: () => ParleyClient | null, conversationId: () => string | null) {
    new Subscription(
      host,
      clientKey(client),
      ([c]) =>
        c.on('upload', (e) => {
          if (this.progress.apply(e) && e.conversationId === conversationId()) host.requestUpdate();
        }),
    );
  }

  /** The last known progress of `messageId`, or null before its upload started. */
  get(messageId: string): UploadFraction | null {
    return this.progress.get(messageId);
  }
}
