/** What the chat's small status line says about the connection and storage. Pure (no DOM). */
import type { ParleyClient } from '../client/ParleyClient';
import type { ConnectionState } from '../worker/protocol';
import type { Translate } from './i18n/locale';

export interface StatusLine {
  /** The connection's state when it is worth telling (null when online or just starting). */
  connection: string | null;
  /** A warning when the local database may not survive (null when persistent or not yet known). */
  storage: string | null;
  /** Whether to offer "Retry" (client.reconnect()): only when the engine gave up. */
  canRetry: boolean;
  /** After the server lost history this device had (a `resync`): what is sent again and what is gone. */
  history: string | null;
}

/** The counts of the last `resync` event, if there was one. */
export interface ResyncCounts {
  requeued: number;
  dropped: number;
}

export function statusLine(state: ConnectionState, storage: ParleyClient['storage'], t: Translate, resync: ResyncCounts | null = null): StatusLine {
  const quiet = state.status === 'online' || state.status === 'idle';
  return {
    connection: quiet ? null : t(`status.${state.status}`),
    storage: storage === 'best_effort' || storage === 'memory' ? t(`storage.${storage}`) : null,
    canRetry: state.status === 'gave_up',
    // Said whenever it happened: a device that lost nothing was still told the server forgot.
    history: resync ? t('status.resync', { requeued: resync.requeued, dropped: resync.dropped }) : null,
  };
}
