/**
 * Who is typing in a conversation and the presence of its other parties, live
 * (client.watchTyping, client.watchPresence), for the element showing that conversation.
 */
import type { ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import type { Presence } from '../../schema/entities';
import type { TypingParty } from '../../worker/protocol';
import { Subscription } from './Subscription';

export class SignalsController {
  typing: TypingParty[] = [];
  presence: Presence[] = [];

  constructor(host: ReactiveControllerHost, target: () => { client: ParleyClient | null; conversationId: string | null }) {
    new Subscription(
      host,
      () => {
        const { client, conversationId } = target();
        return client && conversationId ? ([client, conversationId] as const) : null;
      },
      ([client, conversationId]) => {
        this.typing = [];
        this.presence = [];
        const offTyping = client.watchTyping(conversationId, (typing) => {
          this.typing = typing;
          host.requestUpdate();
        });
        const offPresence = client.watchPresence(conversationId, (presence) => {
          this.presence = presence;
          host.requestUpdate();
        });
        return () => {
          offTyping();
          offPresence();
        };
      },
    );
  }
}
