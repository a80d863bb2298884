/** The conversation list, live (client.watchConversations): by last activity, with unread counts. */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import type { LocalConversation } from '../../worker/protocol';
import { Subscription } from './Subscription';

export class ConversationsController {
  conversations: LocalConversation[] = [];
  loaded = false;

  constructor(host: ReactiveControllerHost, client: () => ParleyClient | null, limit: () => number = () => 50) {
    new Subscription(
      host,
      () => {
        const c = client();
        return c ? ([c, limit()] as const) : null;
      },
      ([c, max]) => {
        this.conversations = [];
        this.loaded = false;
        return c.watchConversations(
          (list) => {
            this.conversations = list;
            this.loaded = true;
            host.requestUpdate();
          },
          { limit: max },
        );
      },
    );
  }

  /** Unread messages over all conversations. */
  get totalUnread(): number {
    return this.conversations.reduce((n, c) => n + (c.unread || 0), 0);
  }
}
