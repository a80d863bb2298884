/** The storefront: a product grid, "Send this product" into the shop conversation, and the chat widget. */
import type { ChatConfigInput } from '../ui/config';
import { connectDemo, DEMO_SHOP_ID, demoUser, loadUiKit, registerServiceWorker, shopConversation, showStatus, wireSignOut, type Client } from './common';
import { PRODUCTS, type Product } from './products';

const user = demoUser('alice');
const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const status = $('#status');
const widget = $<HTMLElement & { client?: Client; open?: boolean; show?: () => Promise<string | null>; config?: ChatConfigInput }>(
  'parley-chat-widget',
);
// The kit ships images and voice off (a shop opts in); the demo shows them. Set before the kit
// loads, the property is picked up when the element upgrades.
widget.config = { features: { image: true, voice: true } };

registerServiceWorker($('#update-banner'));
$('#who').textContent = `${user.displayName} (${user.userId})`;

let client: Client | null = null;

function productCard(p: Product): HTMLElement {
  const card = document.createElement('article');
  card.className = 'product';
  card.id = `product-${p.id}`;
  card.dataset.productId = p.id;
  const img = Object.assign(document.createElement('img'), { src: p.image, alt: p.title, width: 240, height: 240 });
  const title = Object.assign(document.createElement('h2'), { textContent: p.title });
  const price = Object.assign(document.createElement('p'), { className: 'price', textContent: `$${p.price.amount}` });
  const blurb = Object.assign(document.createElement('p'), { className: 'blurb', textContent: p.blurb });
  const send = Object.assign(document.createElement('button'), { type: 'button', className: 'send-product', textContent: 'Send this product' });
  send.dataset.productId = p.id;
  send.addEventListener('click', () => void sendProduct(p, send));
  card.append(img, title, price, blurb, send);
  return card;
}

async function sendProduct(p: Product, button: HTMLButtonElement): Promise<void> {
  if (!client) return;
  button.disabled = true;
  try {
    const conversationId = await shopConversation(client, DEMO_SHOP_ID);
    await client.send(conversationId, {
      type: 'product',
      productId: p.id,
      title: p.title,
      price: p.price,
      imageUrl: p.image,
      url: `/?product=${encodeURIComponent(p.id)}`,
    });
    if (widget.show) void widget.show();
    else widget.open = true;
  } catch (err) {
    // Only the very first contact needs the server (to open the conversation); afterwards sends queue offline.
    status.dataset.error = (err as { code?: string }).code ?? String(err);
    alert(`Could not send the product yet: ${(err as { code?: string }).code ?? String(err)}. Connect once to open the conversation.`);
  } finally {
    button.disabled = false;
  }
}

function highlight(productId: string | null): void {
  for (const el of document.querySelectorAll('.product.highlight')) el.classList.remove('highlight');
  const card = productId ? document.getElementById(`product-${productId}`) : null;
  if (card) {
    card.classList.add('highlight');
    card.scrollIntoView({ block: 'center' });
  }
}

$('#products').replaceChildren(...PRODUCTS.map(productCard));
highlight(new URLSearchParams(location.search).get('product'));

// A product card in the chat was clicked: the kit tells, the page decides (here: show it in the grid).
document.addEventListener('parley-product-click', (e) => {
  e.preventDefault();
  highlight((e as CustomEvent<{ productId: string }>).detail.productId);
});

const [, connected] = await Promise.allSettled([loadUiKit(), connectDemo(user.userId)]);
if (connected.status === 'fulfilled') {
  client = connected.value;
  widget.client = client;
  showStatus(status, client, user.userId);
  client.showUnreadInTitle();
  wireSignOut($<HTMLButtonElement>('#sign-out'), client, status);
  const notify = $<HTMLButtonElement>('#notify');
  const c = client;
  notify.addEventListener('click', async () => {
    // One notification per reply across every open tab; a click brings this tab up with the chat open.
    const permission = await c.enableNotifications({ onClick: () => void widget.show?.() });
    notify.textContent = permission === 'granted' ? 'Notifications on' : 'Notifications blocked';
    notify.disabled = permission === 'granted';
  });
} else {
  status.dataset.state = 'error';
  status.textContent = `could not start Parley: ${String(connected.reason)}`;
}
