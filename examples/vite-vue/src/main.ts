import { connect } from 'parley/client';
import 'parley/ui'; // defines <parley-chat-widget> and the other elements
import { parley } from 'parley/vue';
import { createApp } from 'vue';
import App from './App.vue';
import { chatSession } from './session';

const user = new URLSearchParams(location.search).get('as') ?? 'alice';
const first = await chatSession(user);
const client = await connect({
  url: first.url, // the chat server, on its own origin
  user, // one local database per shopper in this browser
  getToken: async (fresh) => (fresh ? (await chatSession(user)).token : first.token),
});

createApp(App).use(parley(client)).mount('#app');
