/**
 * First step of `npm test`: make sure a Chromium is there for the browser tests, or stop at once
 * with one line saying what to install (instead of every browser test failing on its own). In order:
 * PARLEY_CHROMIUM or Debian's /usr/bin/chromium (scripts/chromium.ts launches it), Playwright's own
 * browser if installed, then Playwright's download (where the network allows it).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { chromium } from '@playwright/test';
import { CHROMIUM_LAUNCH } from './chromium';

const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

function runs(executable: string): boolean {
  const probe = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return probe.status === 0;
}

function found(): string | null {
  const system = CHROMIUM_LAUNCH.executablePath;
  if (system) return runs(system) ? system : null;
  const own = chromium.executablePath();
  return fs.existsSync(own) ? own : null;
}

let browser = found();
if (!browser && !CHROMIUM_LAUNCH.executablePath) {
  console.log('npm test: no Chromium here; trying `npx playwright install chromium`');
  const download = spawnSync('npx', ['playwright', 'install', 'chromium'], { stdio: 'inherit', timeout: DOWNLOAD_TIMEOUT_MS });
  if (download.status === 0) browser = found();
}
if (!browser) {
  const system = CHROMIUM_LAUNCH.executablePath;
  console.error(
    system
      ? `npm test: ${system} does not run (${system} --version failed); reinstall it, or set PARLEY_CHROMIUM to a Chromium that does`
      : 'npm test needs Chromium for its browser tests: `apt-get install chromium` (Debian, Ubuntu), or `npx playwright install chromium` where the network allows, or PARLEY_CHROMIUM=/path/to/chromium',
  );
  process.exit(1);
}
console.log(`npm test: browser tests run on ${browser}`);
