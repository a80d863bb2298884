/**
 * React bindings: a provider for the client `connect()` returned, and hooks over its events and
 * watches on `useSyncExternalStore` (React 18+), so every render sees one consistent result and a
 * component's watch stops when it unmounts.
 *
 * ```ts
 * const client = await connect({ getToken });
 * root.render(<ParleyProvider client={client}><App /></ParleyProvider>);
 * const messages = useMessages(conversationId); // undefined until the first result
 * ```
 *
 * @module parley/react
 */
import { createContext, createElement, useContext, useMemo, useSyncExternalStore, type DetailedHTMLProps, type HTMLAttributes, type ReactNode } from 'react';
import type { ConnectionState, LocalConversation, LocalMessage, ParleyClient } from '../client';
import { watchStore } from './watchStore';

const ParleyContext = createContext<ParleyClient | null>(null);

export function ParleyProvider(props: { client: ParleyClient; children?: ReactNode }): ReactNode {
  return createElement(ParleyContext.Provider, { value: props.client }, props.children);
}

/** The client of the nearest ParleyProvider. */
export function useParley(): ParleyClient {
  const client = useContext(ParleyContext);
  if (!client) throw new Error('useParley: no <ParleyProvider client={…}> above this component');
  return client;
}

/** The connection state (online, connecting, offline, …), re-rendering on each change. */
export function useConnectionState(): ConnectionState {
  const client = useParley();
  return useSyncExternalStore(
    (onChange) => client.on('state', onChange),
    () => client.state,
  );
}

const nothing = { subscribe: () => () => {}, get: () => undefined };

/** A conversation's latest `limit` messages (default the engine's page), live; undefined while loading or without an id. */
export function useMessages(conversationId: string | null | undefined, opts: { limit?: number } = {}): LocalMessage[] | undefined {
  const client = useParley();
  const { limit } = opts;
  const store = useMemo(
    () => (conversationId ? watchStore<LocalMessage[]>((deliver) => client.watchMessages(conversationId, deliver, limit === undefined ? {} : { limit })) : nothing),
    [client, conversationId, limit],
  );
  return useSyncExternalStore(store.subscribe, store.get);
}

/** The user's conversations, newest activity first, live; undefined while loading. */
export function useConversations(opts: { limit?: number } = {}): LocalConversation[] | undefined {
  const client = useParley();
  const { limit } = opts;
  const store = useMemo(() => watchStore<LocalConversation[]>((deliver) => client.watchConversations(deliver, limit === undefined ? {} : { limit })), [client, limit]);
  return useSyncExternalStore(store.subscribe, store.get);
}

/** Props of the UI kit's elements in JSX (React 19 sets `client` as a property). */
type ParleyElementProps = DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement> & { client?: ParleyClient | null };

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'parley-chat-widget': ParleyElementProps & { 'shop-id'?: string };
      'parley-chat': ParleyElementProps & { 'conversation-id'?: string };
      'parley-conversation-list': ParleyElementProps;
      'parley-customer-context': ParleyElementProps & { 'conversation-id'?: string };
    }
  }
}
