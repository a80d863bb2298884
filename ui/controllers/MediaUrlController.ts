/**
 * Media URLs for templates (TemplateContext.mediaUrl): a per-element MediaUrlCache resolving
 * through the element's client, re-rendering the element as answers arrive. When the connection
 * comes back online, failed refs and bare offline URLs are resolved again.
 */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import { MediaUrlCache } from '../media/mediaUrlCache';
import { clientKey, Subscription } from './Subscription';

export class MediaUrlController {
  readonly cache: MediaUrlCache;
  private client: ParleyClient | null = null;

  constructor(host: ReactiveControllerHost, client: () => ParleyClient | null) {
    this.cache = new MediaUrlCache(null, () => host.requestUpdate());
    new Subscription(
      host,
      clientKey(client),
      ([c]) => {
        // Kept while the element is merely moved (disconnected, reconnected): only a new client
        // makes what is cached stale.
        if (c !== this.client) {
          this.client = c;
          this.cache.reset((ref) => c.mediaUrl(ref));
        }
        let online = c.state.status === 'online';
        return c.on('state', ({ state }) => {
          const now = state.status === 'online';
          if (now && !online) this.cache.refresh();
          online = now;
        });
      },
    );
  }
}
