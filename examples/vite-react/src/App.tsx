import { useConnectionState, useConversations, useParley } from 'parley/react';

export function App() {
  const client = useParley();
  const state = useConnectionState();
  const unread = useConversations()?.reduce((n, c) => n + c.unread, 0) ?? 0;
  return (
    <main>
      <h1>Mugs &amp; Co.</h1>
      <p className="chat-status" data-status={state.status}>
        Chat: {state.status}
        {unread > 0 && <span className="unread"> · {unread} unread</span>}
      </p>
      {/* The UI kit's element; React 19 passes `client` as a property. */}
      <parley-chat-widget client={client} shop-id="parley-shop"></parley-chat-widget>
    </main>
  );
}
