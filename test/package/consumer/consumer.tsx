/**
 * Type-checked against the installed tarball (scripts/testPackage.ts); never run. Each entry is
 * used as a shop would, and each `@ts-expect-error` fails the check if the declarations went loose
 * (a type that became `any` accepts the wrong call, and the directive is then unused).
 */
import { connect, ErrorCode, ParleyError, type LocalMessage, type ParleyClient } from 'parley/client';
import { ParleyProvider, useConnectionState, useConversations, useMessages } from 'parley/react';
import { createParley, createParleyServer, signToken, TokenVerifier, type Parley } from 'parley/server';
import { decodeServerFrame, encodeFrame, PROTOCOL_VERSION } from 'parley/schema';
import { ParleyChatWidget, setLocale } from 'parley/ui';
import { parley, provideParley, useMessages as useVueMessages } from 'parley/vue';

export async function storefront(): Promise<ParleyClient> {
  const client = await connect({ url: 'wss://chat.example/ws', getToken: async () => 'a token from the shop backend' });
  // @ts-expect-error getToken is required
  await connect({ url: 'wss://chat.example/ws' });
  const sent: LocalMessage = await client.send('conversation-1', { type: 'text', text: 'hello' });
  // @ts-expect-error a conversation id is a string
  await client.send(42, { type: 'text', text: 'hello' });
  const failed = new ParleyError(ErrorCode.REQUEST_TIMEOUT, 'late');
  return failed.code === ErrorCode.REQUEST_TIMEOUT && sent.id ? client : client;
}

export function Status(): React.ReactNode {
  const state = useConnectionState();
  const conversations = useConversations();
  const messages = useMessages('conversation-1', { limit: 20 });
  const client = null as unknown as ParleyClient;
  return (
    <ParleyProvider client={client}>
      <p>
        {state.status} {conversations?.length} {messages?.map((m) => m.id).join()}
      </p>
      <parley-chat-widget client={client} shop-id="parley-shop"></parley-chat-widget>
    </ParleyProvider>
  );
}

export function vueSetup(client: ParleyClient): number | undefined {
  provideParley(client);
  parley(client) satisfies import('vue').Plugin;
  return useVueMessages(() => 'conversation-1').value?.length;
}

export async function chatServer(): Promise<Parley> {
  const standalone = await createParleyServer({ secret: 'x'.repeat(32) });
  await standalone.listen(8080);
  const mounted = await createParley({ secret: 'x'.repeat(32), tokens: { jwksUrl: 'https://shop.example/.well-known/jwks.json', audience: 'parley' } });
  // @ts-expect-error the port is a number
  await standalone.listen('8080');
  const verifier = new TokenVerifier('x'.repeat(32));
  const token = signToken('x'.repeat(32), { sub: 'alice', role: 'customer', exp: 2_000_000_000 });
  // @ts-expect-error a role Parley does not know
  signToken('x'.repeat(32), { sub: 'alice', role: 'admin', exp: 2_000_000_000 });
  await verifier.verify(token, Date.now());
  return mounted;
}

export function wire(text: string): string {
  const decoded = decodeServerFrame(text);
  setLocale('en');
  customElements.get('parley-chat-widget') satisfies CustomElementConstructor | undefined;
  return decoded.ok ? decoded.value.t : encodeFrame({ t: 'auth', v: PROTOCOL_VERSION, token: 't', deviceId: 'd' }) + String(ParleyChatWidget.name);
}
