/**
 * The customer's direct conversation with one shop, for `<parley-chat-widget>`: taken from the local
 * list when it is there (works offline), else opened on the server with `conversations.create`,
 * which returns the existing conversation for a direct one, so asking again is harmless.
 *
 * While the host wants it (its panel is open) and has no id, it asks whenever asking can now
 * succeed: when the client or the shop id arrives or changes, and each time the connection comes
 * online. So a click made before the page had a client, or an attempt that failed while offline or
 * kicked, does not leave the panel opening for good. A failed attempt is not repeated on every
 * render, only on those events or when the host calls resolve() (opening, "Try again").
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ParleyClient } from '../../client/ParleyClient';
import type { LocalConversation } from '../../worker/protocol';
import { errorInfo } from '../events';
import { Subscription } from './Subscription';

export interface ShopConversationSource {
  client: ParleyClient | null;
  shopId: string | null;
  /** The local conversation list as last delivered. */
  conversations: readonly LocalConversation[];
  /** Whether the conversation is needed now (the widget's panel is open). */
  wanted: boolean;
}

export class ShopConversationController implements ReactiveController {
  /** The conversation's id, once known for the current client and shop. */
  id: string | null = null;
  /** The code of the last failed attempt; '' when none failed since the last change or attempt. */
  error = '';
  private attempt: Promise<string | null> | null = null;
  /** Bumped when the client or shop changes, so an answer for the previous pair is not taken. */
  private generation = 0;

  /** @param onFailure called with the error of each failed attempt for the current client and shop */
  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly source: () => ShopConversationSource,
    private readonly onFailure: (info: { code: string; message: string }) => void,
  ) {
    // Added before this controller, so a changed pair is forgotten before hostUpdate looks again.
    new Subscription(
      host,
      () => {
        const { client, shopId } = this.source();
        return client && shopId ? ([client, shopId] as const) : null;
      },
      ([client]) => {
        this.forget();
        const off = client.on('state', ({ state }) => {
          if (state.status === 'online' && this.source().wanted) void this.resolve();
        });
        return () => {
          off();
          this.forget();
        };
      },
    );
    host.addController(this);
  }

  hostUpdate(): void {
    const { wanted } = this.source();
    this.id ??= this.findLocal();
    if (wanted && !this.id && !this.attempt && !this.error) void this.resolve();
  }

  /**
   * Find or open the conversation now, or join the attempt under way. Resolves with its id, or null
   * when there is no client or shop id yet, or the attempt failed (`error` then holds the code).
   */
  resolve(): Promise<string | null> {
    this.id ??= this.findLocal();
    if (this.id) return Promise.resolve(this.id);
    if (this.attempt) return this.attempt;
    const { client, shopId } = this.source();
    if (!client || !shopId) return Promise.resolve(null);
    this.error = '';
    this.host.requestUpdate();
    this.attempt = this.open(client, shopId, this.generation);
    return this.attempt;
  }

  private async open(client: ParleyClient, shopId: string, generation: number): Promise<string | null> {
    try {
      const { conversation } = await client.request('conversations.create', { kind: 'direct', shopId });
      if (generation === this.generation) this.id = conversation.id;
      return conversation.id;
    } catch (err) {
      if (generation !== this.generation) return null;
      const info = errorInfo(err);
      this.error = info.code;
      this.onFailure(info);
      return null;
    } finally {
      // While the pair is unchanged, only this attempt can be under way (resolve() joins it).
      if (generation === this.generation) this.attempt = null;
      this.host.requestUpdate();
    }
  }

  private findLocal(): string | null {
    const { shopId, conversations } = this.source();
    if (!shopId) return null;
    return conversations.find((c) => c.kind === 'direct' && c.shopId === shopId)?.id ?? null;
  }

  private forget(): void {
    this.generation++;
    this.id = null;
    this.error = '';
    this.attempt = null;
  }
}
