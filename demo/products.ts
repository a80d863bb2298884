/** The demo shop's catalogue (prices as decimal strings, as the wire wants them). */
export interface Product {
  id: string;
  title: string;
  price: { amount: string; currency: string };
  image: string;
  blurb: string;
}

export const PRODUCTS: readonly Product[] = [
  { id: 'mug', title: 'Parley mug', price: { amount: '12.50', currency: 'USD' }, image: '/demo/img/mug.svg', blurb: 'Stoneware, 350 ml. Holds coffee while you wait for a reply.' },
  { id: 'tee', title: 'Speech-bubble tee', price: { amount: '19.90', currency: 'USD' }, image: '/demo/img/tee.svg', blurb: 'Organic cotton, unisex fit, sizes XS–XXL.' },
  { id: 'tote', title: 'Carry-on tote', price: { amount: '15.00', currency: 'USD' }, image: '/demo/img/tote.svg', blurb: 'Heavy canvas with an inner pocket for your phone.' },
  { id: 'notebook', title: 'Offline notebook', price: { amount: '8.75', currency: 'USD' }, image: '/demo/img/notebook.svg', blurb: 'Works without a network. Always has.' },
];
