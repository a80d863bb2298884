/**
 * What both demo pages share: who the demo user is, the dev token, loading the client and the UI
 * kit from /parley/ at run time (as a storefront would), the status line and the service worker.
 */
import { Workbox } from 'workbox-window';
import type { ConnectOptions, ParleyClient } from '../client/index';
import type { LocalConversation } from '../worker/protocol';
import { DEMO_USERS } from '../server/seed';
import { defineFallbackElements } from './fallback-ui';

/** Loaded at run time, not bundled: the page uses the same client bundle (and worker) as any storefront. */
const CLIENT_URL = '/parley/parley-client.js';
const UI_URL = '/parley/parley-ui.js';

export type Client = ParleyClient;
export const DEMO_SHOP_ID = 'parley-shop';

declare global {
  interface Window {
    /** The connected client, for tests and the console. */
    parley?: ParleyClient;
    /** Which UI the page runs: the kit from /parley/parley-ui.js, or the demo's plain stand-in. */
    parleyUi?: 'kit' | 'fallback';
  }
}

export function demoUser(fallback: string): (typeof DEMO_USERS)[number] {
  const asked = new URLSearchParams(location.search).get('as') ?? fallback;
  return DEMO_USERS.find((u) => u.userId === asked) ?? DEMO_USERS.find((u) => u.userId === fallback)!;
}

/**
 * DEV ONLY token provider. Offline (or with the server down) the fetch rejects, and so does this:
 * the engine stays in backoff and asks again on its next attempt, while the page keeps working
 * from the local database.
 */
export function tokenProvider(userId: string): () => Promise<string> {
  return async () => {
    const res = await fetch(`/dev/token?user=${encodeURIComponent(userId)}`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`dev token: HTTP ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  };
}

/**
 * DEV ONLY key provider for `?encrypt=1` (the local database encrypted at rest): the shop's backend
 * hands the key out after login, as it does the token.
 */
function demoKey(userId: string): () => Promise<string> {
  return async () => {
    const res = await fetch(`/dev/key?user=${encodeURIComponent(userId)}`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`dev key: HTTP ${res.status}`);
    return ((await res.json()) as { key: string }).key;
  };
}

export async function connectDemo(userId: string, shopId?: string): Promise<ParleyClient> {
  const { connect, ParleyError } = (await import(/* runtime URL */ CLIENT_URL)) as typeof import('../client/index');
  const encrypt = new URLSearchParams(location.search).get('encrypt') === '1';
  const options = (onKeyRejected: 'fail' | 'rebuild'): ConnectOptions => ({
    user: userId,
    getToken: tokenProvider(userId),
    ...(shopId ? { shopId } : {}),
    ...(encrypt ? { encryption: { key: demoKey(userId), onKeyRejected } } : {}),
  });
  let client: ParleyClient;
  try {
    client = await connect(options('fail'));
  } catch (err) {
    // The key no longer opens this browser's copy (the dev secret changed): ask before dropping
    // unsent messages, then start a new copy from the server.
    if (!ParleyError.is(err, 'KEY_REJECTED')) throw err;
    const unsent = err.details?.unsent ?? 0;
    if (unsent > 0 && !confirm(`This device's copy of your chat cannot be opened with your key. ${unsent} unsent messages in it would be lost. Start over from the server?`)) throw err;
    client = await connect(options('rebuild'));
  }
  window.parley = client;
  return client;
}

/** The UI kit's custom elements; the demo's plain stand-ins if the kit is not built (yet). */
export async function loadUiKit(): Promise<'kit' | 'fallback'> {
  try {
    await import(/* runtime URL */ UI_URL);
    window.parleyUi = 'kit';
  } catch (err) {
    console.warn(`[demo] ${UI_URL} did not load (${String(err)}); using the demo's plain elements`);
    defineFallbackElements();
    window.parleyUi = 'fallback';
  }
  document.documentElement.dataset.ui = window.parleyUi;
  return window.parleyUi;
}

/** The connection state, storage durability and transport, in the page's footer line. */
export function showStatus(el: HTMLElement, client: ParleyClient, who: string): void {
  const render = () => {
    const s = client.state;
    const detail = s.status === 'backoff' ? ` (retry #${s.attempt})` : s.status === 'kicked' ? ` (${s.reason})` : '';
    el.dataset.state = s.status;
    el.textContent = `${who} · ${s.status}${detail} · storage: ${client.storage}${client.encrypted ? ' (encrypted)' : ''} · ${client.transport}`;
  };
  render();
  client.on('state', render);
  // storage is known once the engine reports it; it does not change afterwards.
  setTimeout(render, 1000);
}

/** Resolves with the conversation list once, as the local database has it now. */
export function localConversations(client: ParleyClient): Promise<LocalConversation[]> {
  return new Promise((resolve) => {
    const off = client.watchConversations((list) => {
      queueMicrotask(() => off());
      resolve(list);
    });
  });
}

/** The customer's conversation with a shop: from the local database if known, else opened on the server (idempotent). */
export async function shopConversation(client: ParleyClient, shopId: string): Promise<string> {
  const known = (await localConversations(client)).find((c) => c.kind === 'direct' && c.shopId === shopId);
  if (known) return known.id;
  const { conversation } = await client.request('conversations.create', { kind: 'direct', shopId });
  return conversation.id;
}

/**
 * The offline app shell. workbox-window registers /sw.js (root scope) and tells us when a new
 * version is waiting; the banner's Reload asks it to skip waiting and reloads once it controls.
 */
export function registerServiceWorker(banner: HTMLElement): void {
  if (!('serviceWorker' in navigator)) return;
  const wb = new Workbox('/sw.js');
  let reloading = false;
  const show = (text: string, onClick: () => void) => {
    banner.hidden = false;
    banner.replaceChildren(document.createTextNode(`${text} — `));
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Reload';
    button.addEventListener('click', onClick);
    banner.append(button);
  };
  wb.addEventListener('waiting', () => {
    show('A new version is available', () => {
      reloading = true;
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    });
  });
  // Another tab pressed Reload: this page still runs the old version, so offer the same reload.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!reloading && banner.hidden === false) show('A new version is active', () => location.reload());
  });
  void wb.register().catch((err: unknown) => console.warn('[demo] service worker registration failed', err));
}

/**
 * The demo's sign-out: on a shared computer nothing of the user may stay, so it wipes; messages
 * still waiting to be sent would be lost, so the user is asked first.
 */
export function wireSignOut(button: HTMLButtonElement, client: ParleyClient, status: HTMLElement): void {
  button.addEventListener('click', async () => {
    const unsent = await client.unsentCount().catch(() => 0);
    if (unsent > 0 && !confirm(`${unsent} message(s) are not sent yet and will be lost if you sign out now. Sign out anyway?`)) return;
    try {
      await client.signOut({ wipe: true, discardUnsent: unsent > 0 });
      status.textContent = 'Signed out: nothing of this account is left in this browser.';
    } catch (err) {
      status.textContent = `Could not sign out: ${(err as { code?: string }).code ?? String(err)}`;
    }
  });
}
