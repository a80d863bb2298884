/** A conversation's latest page, live (client.watchMessages), for the host to render. */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import type { LocalMessage } from '../../worker/protocol';
import { Subscription } from './Subscription';

export interface MessagesSource {
  client: ParleyClient | null;
  conversationId: string | null;
  pageSize: number;
}

export class MessagesController {
  /** The latest page, oldest first, as the engine last delivered it. */
  messages: LocalMessage[] = [];
  /** False until the first delivery after (re)subscribing. */
  loaded = false;

  /**
   * @param onChange called with each delivery and the previous one (prev is null right after a
   *   (re)subscription), before the host re-renders
   */
  constructor(
    host: ReactiveControllerHost,
    source: () => MessagesSource,
    onChange: (messages: LocalMessage[], prev: LocalMessage[] | null) => void = () => {},
  ) {
    new Subscription(
      host,
      () => {
        const s = source();
        return s.client && s.conversationId ? ([s.client, s.conversationId, s.pageSize] as const) : null;
      },
      ([client, conversationId, pageSize]) => {
        this.messages = [];
        this.loaded = false;
        let first = true;
        return client.watchMessages(
          conversationId,
          (messages) => {
            const prev = first ? null : this.messages;
            first = false;
            this.messages = messages;
            this.loaded = true;
            onChange(messages, prev);
            host.requestUpdate();
          },
          { limit: pageSize },
        );
      },
    );
  }
}
