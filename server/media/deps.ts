/** What the media routes need from the server. */
import type { TokenVerifier } from '../auth/TokenVerifier';
import type { ServerConfig } from '../config';
import type { ServerMetrics } from '../metrics';
import type { Store } from '../store/Store';
import type { Limits } from '../limits/Limits';
import type { MediaStorage } from './MediaStorage';
import type { MediaQuota } from './quota';

export interface MediaDeps {
  config: ServerConfig;
  /** Signs and checks media URLs. */
  secret: string;
  /** Verifies Bearer tokens. */
  tokens: Pick<TokenVerifier, 'verify'>;
  store: Store;
  storage: MediaStorage;
  metrics?: ServerMetrics;
  /** Uploads per user. */
  limits: Pick<Limits, 'uploads'>;
  quota: MediaQuota;
}
