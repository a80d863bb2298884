/**
 * The console: the conversation list with unread counts and the selected conversation, for any
 * demo user (?as=shop-agent by default, which answers for the shop parley-shop). The shop's agent
 * can create (or reopen) the shop's group with the supplier, the distributor and customer alice.
 */
import type { ChatConfigInput } from '../ui/config';
import { connectDemo, demoUser, loadUiKit, localConversations, registerServiceWorker, showStatus, wireSignOut, type Client } from './common';

const GROUP_TITLE = 'Supplier · Distributor · Alice';
const GROUP_MEMBERS = ['supplier', 'distributor', 'alice'];

const user = demoUser('shop-agent');
const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const status = $('#status');
const list = $<HTMLElement & { client?: Client }>('parley-conversation-list');
const chat = $<HTMLElement & { client?: Client; config?: ChatConfigInput }>('parley-chat');
const context = $<HTMLElement & { client?: Client; context?: (conversationId: string) => Promise<unknown> }>('parley-customer-context');
// Images and voice are opt-in in the kit; the console turns them on (picked up when the element upgrades).
chat.config = { features: { image: true, voice: true } };
const groupButton = $<HTMLButtonElement>('#open-group');
const note = $('#console-note');

registerServiceWorker($('#update-banner'));
$('#who').textContent = `${user.displayName} (${user.userId}, ${user.role}${user.shopId ? ` of ${user.shopId}` : ''})`;
for (const a of document.querySelectorAll<HTMLAnchorElement>('a[data-as]')) a.classList.toggle('current', a.dataset.as === user.userId);
// A group with a customer is the shop's to make (the server refuses anyone else): agents only.
groupButton.hidden = user.role !== 'merchant';

/** The selected conversation lives in the URL's hash, so a reload (also offline) reopens it. */
function select(conversationId: string): void {
  chat.setAttribute('conversation-id', conversationId);
  context.setAttribute('conversation-id', conversationId);
  // Also when chosen from the hash or as the latest: the list marks it (aria-current) either way.
  list.setAttribute('selected-id', conversationId);
  document.body.dataset.selected = conversationId;
  if (location.hash !== `#c=${conversationId}`) history.replaceState(null, '', `${location.pathname}${location.search}#c=${conversationId}`);
}

list.addEventListener('parley-conversation-select', (e) => select((e as CustomEvent<{ conversationId: string }>).detail.conversationId));

/** The shop's quick replies: listed, added and deleted here; used with `/` in the composer. */
function manageQuickReplies(client: Client): void {
  const section = $<HTMLElement>('#quick-replies');
  const list = $<HTMLUListElement>('#qr-list');
  const form = $<HTMLFormElement>('#qr-form');
  client.watchDesk((desk) => {
    section.hidden = desk === null;
    list.replaceChildren(
      ...(desk?.quickReplies ?? []).map((r) => {
        const li = document.createElement('li');
        const label = Object.assign(document.createElement('span'), { textContent: `/${r.shortcut} — ${r.text}` });
        const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Delete' });
        remove.setAttribute('aria-label', `Delete quick reply /${r.shortcut}`);
        remove.addEventListener('click', () => void client.deleteQuickReply(r.id).catch((err: unknown) => (note.textContent = String(err))));
        li.append(label, remove);
        return li;
      }),
    );
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    client.saveQuickReply({ shortcut: String(data.get('shortcut')), text: String(data.get('text')) }).then(
      () => form.reset(),
      (err: unknown) => (note.textContent = `Could not save the quick reply: ${(err as { code?: string }).code ?? String(err)}`),
    );
  });
}

async function openGroup(client: Client): Promise<void> {
  groupButton.disabled = true;
  note.textContent = '';
  try {
    const known = (await localConversations(client)).find((c) => c.kind === 'group' && c.title === GROUP_TITLE);
    const id =
      known?.id ??
      (
        await client.request('conversations.create', {
          kind: 'group',
          title: GROUP_TITLE,
          memberIds: GROUP_MEMBERS.filter((m) => m !== user.userId),
        })
      ).conversation.id;
    select(id);
  } catch (err) {
    // A group create is never retried blindly (it would make a second group): it needs the network now.
    note.textContent = `Could not create the group: ${(err as { code?: string }).code ?? String(err)}`;
  } finally {
    groupButton.disabled = false;
  }
}

const [, connected] = await Promise.allSettled([loadUiKit(), connectDemo(user.userId, user.shopId ?? undefined)]);
if (connected.status === 'fulfilled') {
  const client = connected.value;
  list.client = client;
  chat.client = client;
  showStatus(status, client, user.userId);
  groupButton.addEventListener('click', () => void openGroup(client));
  client.showUnreadInTitle();
  wireSignOut($<HTMLButtonElement>('#sign-out'), client, status);
  context.client = client;
  // The shop's own data about the customer, from its backend; the demo makes some up.
  context.context = async (conversationId) => {
    const c = (await localConversations(client)).find((x) => x.id === conversationId);
    if (!c || c.kind !== 'direct') return null;
    return { title: 'From the shop', fields: [{ label: 'Customer', value: c.title.split(' · ')[0] ?? c.title }, { label: 'Member since', value: '2024' }, { label: 'Orders', value: '3' }] };
  };
  manageQuickReplies(client);
  const notify = $<HTMLButtonElement>('#notify');
  notify.addEventListener('click', async () => {
    // One notification per message across the console's tabs; a click opens that conversation here.
    const permission = await client.enableNotifications({ onClick: (m) => select(m.conversationId) });
    notify.textContent = permission === 'granted' ? 'Notifications on' : 'Notifications blocked';
    notify.disabled = permission === 'granted';
  });
  const away = $<HTMLInputElement>('#away');
  away.addEventListener('change', () => client.setPresence(away.checked ? 'away' : 'online'));
  const fromHash = /^#c=(.+)$/.exec(location.hash)?.[1];
  if (fromHash) select(decodeURIComponent(fromHash));
  else {
    // Nothing chosen yet: open the most recent conversation once there is one (a fresh device
    // gets its list from the server a moment after connecting).
    const off = client.watchConversations((conversations) => {
      const [latest] = conversations;
      if (!latest) return;
      queueMicrotask(off);
      if (!chat.getAttribute('conversation-id')) select(latest.id);
    });
  }
} else {
  status.dataset.state = 'error';
  status.textContent = `could not start Parley: ${String(connected.reason)}`;
}
