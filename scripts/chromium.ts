/**
 * How we launch Chromium, for the browser tests and the benchmarks alike. Debian's
 * /usr/bin/chromium is used when present, because Playwright cannot download its own browser on
 * machines without internet; elsewhere, Playwright's own browser (after `npx playwright install
 * chromium`) is used.
 */
import fs from 'node:fs';

const SYSTEM_CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_LAUNCH = {
  executablePath: fs.existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
    // A fake microphone (a beep) that needs no permission prompt: the voice message tests.
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
  ],
};
