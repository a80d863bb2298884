/**
 * Vue 3 bindings: the client given to the app (`app.use(parley(client))`) or to a subtree
 * (`provideParley(client)` in a parent's setup), then composables returning shallow refs that follow
 * the client's events and watches and stop with the component's scope.
 *
 * ```ts
 * createApp(App).use(parley(await connect({ getToken }))).mount('#app');
 * const messages = useMessages(() => props.conversationId); // undefined until the first result
 * ```
 *
 * @module parley/vue
 */
import { inject, onScopeDispose, provide, shallowRef, toValue, watchEffect, type InjectionKey, type MaybeRefOrGetter, type Plugin, type ShallowRef } from 'vue';
import type { ConnectionState, LocalConversation, LocalMessage, ParleyClient } from '../client';

const PARLEY: InjectionKey<ParleyClient> = Symbol('parley');

/** The client for every component of the app. */
export function parley(client: ParleyClient): Plugin {
  return { install: (app) => void app.provide(PARLEY, client) };
}

/** The client for the components below this one (Vue injects from ancestors, not from the providing component itself). */
export function provideParley(client: ParleyClient): void {
  provide(PARLEY, client);
}

/** The client an ancestor provided. */
export function useParley(): ParleyClient {
  const client = inject(PARLEY, null);
  if (!client) throw new Error('useParley: no client: app.use(parley(client)), or provideParley(client) in an ancestor component');
  return client;
}

export function useConnectionState(): Readonly<ShallowRef<ConnectionState>> {
  const client = useParley();
  const state = shallowRef(client.state);
  onScopeDispose(client.on('state', (e) => (state.value = e.state)));
  return state;
}

/** A conversation's latest `limit` messages, live; follows `conversationId` when it is a ref or getter. */
export function useMessages(conversationId: MaybeRefOrGetter<string | null | undefined>, opts: { limit?: number } = {}): Readonly<ShallowRef<LocalMessage[] | undefined>> {
  const client = useParley();
  const messages = shallowRef<LocalMessage[] | undefined>();
  watchEffect((onCleanup) => {
    const id = toValue(conversationId);
    messages.value = undefined;
    if (!id) return;
    onCleanup(client.watchMessages(id, (m) => (messages.value = m), opts.limit === undefined ? {} : { limit: opts.limit }));
  });
  return messages;
}

/** The user's conversations, newest activity first, live. */
export function useConversations(opts: { limit?: number } = {}): Readonly<ShallowRef<LocalConversation[] | undefined>> {
  const client = useParley();
  const conversations = shallowRef<LocalConversation[] | undefined>();
  onScopeDispose(client.watchConversations((c) => (conversations.value = c), opts.limit === undefined ? {} : { limit: opts.limit }));
  return conversations;
}
