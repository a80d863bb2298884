/** The connection state and storage durability, live (client.on('state'), client.on('storage')). */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import type { ConnectionState } from '../../worker/connection/state';
import { clientKey, Subscription } from './Subscription';

export class ConnectionController {
  state: ConnectionState = { status: 'idle' };
  storage: ParleyClient['storage'] = 'unknown';

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
        return () => {
          offState();
          offStorage();
        };
      },
    );
  }
}
