/** What the media routes need from the server. */
import type { ServerConfig } from '../config';
import type { ServerMetrics } from '../metrics';
import type { Store } from '../store/Store';
import type { MediaStorage } from './MediaStorage';

export interface MediaDeps {
  config: ServerConfig;
  secret: string;
  store: Store;
  storage: MediaStorage;
  metrics?: ServerMetrics;
}
