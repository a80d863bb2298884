/** The shop's service desk, live (client.watchDesk): null for anyone who is not a shop's agent. */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import type { Assignment } from '../../schema/desk';
import type { DeskView } from '../../worker/protocol';
import { clientKey, Subscription } from './Subscription';

export class DeskController {
  desk: DeskView | null = null;

  constructor(host: ReactiveControllerHost, client: () => ParleyClient | null) {
    new Subscription(host, clientKey(client), ([c]) => {
      this.desk = null;
      return c.watchDesk((desk) => {
        this.desk = desk;
        host.requestUpdate();
      });
    });
  }

  /** Who handles the conversation (undefined: the desk does not know it yet). */
  assignmentOf(conversationId: string): (Assignment & { queued?: true }) | undefined {
    return this.desk?.assignments.find((a) => a.conversationId === conversationId);
  }

  /** An agent's name as the shop knows it. */
  nameOf(agentId: string): string {
    return this.desk?.agents.find((a) => a.id === agentId)?.displayName ?? agentId;
  }
}
