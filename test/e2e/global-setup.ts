import { buildBundles } from '../../scripts/build';

/** Browser tests load the real bundles: build them once per run. */
export default async function globalSetup(): Promise<void> {
  await buildBundles();
}
