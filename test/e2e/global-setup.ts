import { buildBundles } from '../../scripts/build';
import { buildDemo } from '../../scripts/build-demo';

/** Browser tests load what `npm start` serves: build the bundles, then the demo (its service worker hashes them). */
export default async function globalSetup(): Promise<void> {
  await buildBundles();
  await buildDemo();
}
