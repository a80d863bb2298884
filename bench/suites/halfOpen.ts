/**
 * Half-open link: the tab's socket stays open but no byte passes either way (a NAT that forgot
 * the flow, a dead Wi-Fi). Nothing closes it, so only the heartbeat can tell: from the moment Node's
 * TCP proxy starts swallowing bytes to the moment the tab's connection leaves `online`. The target
 * is the heartbeat's promise, one interval plus the pong timeout; each cut lands at a random point
 * of the ping cycle, so runs spread between the timeout and that bound. The browser's own WebSocket,
 * the baseline without a heartbeat, notices only when TCP gives up, minutes later (not measured).
 */
import { TcpProxy } from '../../test/support/tcpProxy';
import type { Drop } from '../browser/halfOpen.page';
import { repeat } from '../lib/stats';
import type { Benchmark } from '../lib/types';

/** Short enough for many runs; the defaults (20 s, 10 s) scale the same way. */
const HEARTBEAT = { intervalMs: 1_000, timeoutMs: 1_000 };

/** A benchmark that fails says why, rather than hanging the run. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

declare const bench: { open(): Promise<void>; online(): Promise<void>; nextDrop(): Promise<Drop> };

export const halfOpen: Benchmark = {
  id: 'half-open',
  title: 'Half-open link: from the cut to the tab leaving online',
  async run(env) {
    const srv = await env.startServer();
    const proxy = new TcpProxy(Number(new URL(srv.url).port));
    await proxy.start();
    const context = await env.newContext();
    try {
      const page = await context.newPage();
      const user = 'half-open';
      const qs = new URLSearchParams({ as: user, token: srv.token(user), hb: String(HEARTBEAT.intervalMs), hbt: String(HEARTBEAT.timeoutMs) });
      // The page too comes through the proxy: its socket is then same-origin, as the server requires.
      await page.goto(`http://127.0.0.1:${proxy.port}/bench/halfOpen.html?${qs}`);
      await page.waitForFunction(() => typeof bench !== 'undefined');
      await withDeadline(page.evaluate(() => bench.open()), 30_000, 'the tab did not come online through the proxy');
      const runs = await repeat(env, async () => {
        await withDeadline(page.evaluate(() => bench.online()), 30_000, 'the tab did not come back online after a cut');
        // A real cut lands anywhere in the ping cycle, which restarts when the tab comes online.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * HEARTBEAT.intervalMs));
        // Armed before the cut, so the drop cannot be missed.
        await page.evaluate(() => void ((window as unknown as { drop: Promise<Drop> }).drop = bench.nextDrop()));
        const cutAt = Date.now();
        proxy.setMode('blackhole');
        const bound = 10 * (HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs);
        const drop = await withDeadline(page.evaluate(() => (window as unknown as { drop: Promise<Drop> }).drop), bound, 'the half-open link was never found');
        if (!drop.message.startsWith('no frame from the server')) throw new Error(`left online for another reason: ${drop.status} ${drop.code} ${drop.message}`);
        // The swallowed stream cannot resume (TCP never skips bytes): end it, let the tab reconnect.
        proxy.cutAll();
        proxy.setMode('forward');
        return drop.at - cutAt;
      });
      return {
        figures: [
          {
            key: 'detect',
            label: `cut → leaving online (ping every ${HEARTBEAT.intervalMs} ms, dead ${HEARTBEAT.timeoutMs} ms after)`,
            unit: 'ms',
            better: 'lower',
            role: 'parley',
            runs,
            target: { op: '<=', value: HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs },
          },
        ],
        notes: [
          'The tab is connected through a TCP proxy in Node that swallows both directions: the socket stays open, as on a real half-open link.',
          `With the defaults (${20_000 / 1000} s, ${10_000 / 1000} s) the same bound is 30 s.`,
        ],
      };
    } finally {
      await context.close();
      await proxy.close();
      await srv.stop();
    }
  },
};
