/**
 * The examples, built from the packed tarball by scripts/testPackage.ts (which passes their
 * directories in PARLEY_EXAMPLES), opened in Chromium. `npm run test:package` runs it.
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_LAUNCH } from './scripts/chromium';

export default defineConfig({
  testDir: 'test/examples',
  testMatch: '**/*.spec.ts',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { browserName: 'chromium', headless: true, launchOptions: CHROMIUM_LAUNCH },
});
