/**
 * The connection state and storage durability, live (client.on('state'), client.on('storage')),
 * and the counts of the last rollback the server asked for (client.on('resync')).
 */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import type { ConnectionState } from '../../worker/protocol';
import type { ResyncCounts } from '../status';
import { clientKey, Subscription } from './Subscription';

export class ConnectionController {
  state: ConnectionState = { status: 'idle' };
  storage: ParleyClient['storage'] = 'unknown';
  resync: ResyncCounts | null = null;

  constructor(host: ReactiveControllerHost, client: () => ParleyClient | null) {
    new Subscription(
      host,
      clientKey(client),
      ([c]) => {
        this.state = c.state;
        this.storage = c.storage;
        const offState = c.on('state', (e) => {
          this.state = e.state;
          host.requestUpdate();
        });
        const offStorage = c.on('storage', (e) => {
          this.storage = e.durability;
          host.requestUpdate();
        });
        const offResync = c.on('resync', (e) => {
          this.resync = { requeued: e.requeued, dropped: e.dropped };
          host.requestUpdate();
        });
        return () => {
          offState();
          offStorage();
          offResync();
        };
      },
    );
  }
}
