import { connect } from 'parley/client';
import { ParleyProvider } from 'parley/react';
import 'parley/ui'; // defines <parley-chat-widget> and the other elements
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { chatSession } from './session';

const user = new URLSearchParams(location.search).get('as') ?? 'alice';
const first = await chatSession(user);
const client = await connect({
  url: first.url, // the chat server, on its own origin
  user, // one local database per shopper in this browser
  getToken: async (fresh) => (fresh ? (await chatSession(user)).token : first.token),
});

createRoot(document.getElementById('app')!).render(
  <ParleyProvider client={client}>
    <App />
  </ParleyProvider>,
);
