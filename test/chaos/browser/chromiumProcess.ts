/**
 * One Chromium on its own profile directory, started by us rather than by Playwright, so the test
 * owns its process group: `kill9()` is a real SIGKILL of the browser and every child (a crash
 * mid-transaction, as far as IndexedDB can tell), and `launch()` again opens the same profile,
 * as a user reopening the browser would. Playwright drives it over CDP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext } from '@playwright/test';
import { CHROMIUM_LAUNCH } from '../../../scripts/chromium';

const READY_MS = 20_000;

export class ChromiumProcess {
  private child: ChildProcess | null = null;
  private browser: Browser | null = null;
  /** Processes started, the first included. */
  launches = 0;

  constructor(readonly profileDir: string) {}

  get running(): boolean {
    return this.browser !== null;
  }

  /** Start Chromium on the profile and return its default context (the profile's storage). */
  async launch(): Promise<BrowserContext> {
    if (this.browser) return this.browser.contexts()[0]!;
    const exe = CHROMIUM_LAUNCH.executablePath ?? chromium.executablePath();
    const child = spawn(
      exe,
      [...CHROMIUM_LAUNCH.args, '--headless', `--user-data-dir=${this.profileDir}`, '--remote-debugging-port=0', 'about:blank'],
      // Its own process group, so kill9() reaches the renderers and the storage service too.
      { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    this.launches++;
    // Detached, so it would outlive us: never leave a browser behind when the run dies.
    const reap = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    const endpoint = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`Chromium did not start within ${READY_MS} ms: ${err.slice(-2000)}`)), READY_MS);
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited (${code ?? signal}) before it was ready: ${err.slice(-2000)}`));
      });
    });
    // Keep draining stderr, or a chatty browser blocks on a full pipe.
    child.stderr!.removeAllListeners('data');
    child.stderr!.resume();
    this.browser = await chromium.connectOverCDP(endpoint);
    return this.browser.contexts()[0]!;
  }

  /** The browser-wide CDP session (targets such as the SharedWorker). */
  cdp() {
    if (!this.browser) throw new Error('Chromium is not running');
    return this.browser.newBrowserCDPSession();
  }

  /** SIGKILL the whole browser now; resolves once the main process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    this.browser = null;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await gone;
    await groupGone(child.pid!);
  }

  /** Quit as a user would (the profile is flushed), falling back to SIGKILL after a bound. */
  async close(): Promise<void> {
    const { browser, child } = this;
    if (!browser || !child) return this.kill9();
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const cdp = await browser.newBrowserCDPSession();
      await cdp.send('Browser.close');
    } catch {
      // Already going.
    }
    const bounded = await Promise.race([gone.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
    if (!bounded) return this.kill9();
    this.browser = null;
    this.child = null;
    await groupGone(child.pid!);
  }
}

/**
 * Until every process of the group has exited (bounded). /usr/bin/chromium is a wrapper script, so
 * the child we wait on is not the browser; a relaunch while the old browser still holds the
 * profile's SingletonLock would abort ("Failed to create a ProcessSingleton").
 */
async function groupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) throw new Error(`Chromium's processes (group ${pgid}) outlived SIGKILL by 10 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A live (not zombie: PID 1 of a container may never reap them) process in the group. */
function groupAlive(pgid: number): boolean {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // No /proc: signal 0 tells whether the group has members at all.
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return pids.some((pid) => {
    try {
      // Fields after the parenthesized command: state, ppid, pgrp.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z';
    } catch {
      return false;
    }
  });
}
