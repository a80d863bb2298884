/**
 * What the server serves besides the protocol: the browser bundles under /parley/ and the
 * storefront demo (its pages, assets and service worker), all built into `dist/` by `npm run build`.
 */
import path from 'node:path';
import { firstOf, staticFile, staticFiles } from './static';

export function appFiles(distDir: string) {
  return firstOf(
    staticFiles('/parley/', path.join(distDir, 'parley')),
    staticFile(['/'], path.join(distDir, 'demo/shop.html')),
    staticFile(['/merchant', '/merchant/'], path.join(distDir, 'demo/merchant.html')),
    // At the root so its scope covers the pages and /parley/ (no Service-Worker-Allowed needed).
    staticFile(['/sw.js'], path.join(distDir, 'demo/sw.js')),
    staticFiles('/demo/', path.join(distDir, 'demo')),
  );
}
