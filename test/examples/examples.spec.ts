/**
 * Each example as a shop would run it: its Vite build served by its own server.mjs (the shop on
 * one port, the Parley server from the installed package on another: cross-origin), with the
 * pages' chat URL going through a proxy the test can cut. Two tabs share one socket; a message goes
 * from the widget to the shop's agent (a Node client) and back, where the hooks count it unread;
 * a message sent while the link is cut waits as pending and is delivered once when it heals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { metricValue } from '../support/fixtures';
import { loginTo } from '../support/server';
import { TcpProxy } from '../support/tcpProxy';

const SECRET = 'examples-secret-0123456789abcdef0123456789';
const built = JSON.parse(process.env.PARLEY_EXAMPLES ?? '{}') as Record<string, string>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `node server.mjs` of the example, resolved once it says it listens. */
async function startExample(dir: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['server.mjs'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server.mjs did not start in 20 s: ${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('shop on ')) (clearTimeout(timer), resolve());
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`server.mjs exited with ${code}: ${output}`))));
  });
  return child;
}

const status = (page: Page) => page.locator('.chat-status');

test.skip(Object.keys(built).length === 0, 'run by npm run test:package, which builds the examples from the packed tarball');

for (const [name, dir] of Object.entries(built)) {
  test(`${name}: two tabs, one socket, a message both ways, and one sent offline delivered once`, async ({ browser }) => {
    const [shopPort, chatPort] = [await freePort(), await freePort()];
    const proxy = new TcpProxy(chatPort);
    const proxyPort = await proxy.start();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `parley-${name}-`));
    const server = await startExample(dir, { PORT: String(shopPort), CHAT_PORT: String(chatPort), PARLEY_SECRET: SECRET, CHAT_DATA_DIR: dataDir, CHAT_PUBLIC_URL: `ws://127.0.0.1:${proxyPort}/ws` });
    const context = await browser.newContext();
    try {
      // The agent first: its token names the shop, which creates it.
      const agent = await loginTo(`ws://127.0.0.1:${chatPort}/ws`, SECRET, 'shop-agent', { role: 'merchant', shop: 'parley-shop' });
      const shop = `http://127.0.0.1:${shopPort}/?as=alice`;
      const tabs = [await context.newPage(), await context.newPage()];
      for (const tab of tabs) {
        await tab.goto(shop);
        await expect(status(tab)).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
      }
      const metrics = await fetch(`http://127.0.0.1:${chatPort}/metrics`).then((r) => r.text());
      expect(metricValue(metrics, 'parley_ws_connections')).toBe(2); // the agent's and the browser's one

      // Customer → shop, from the widget.
      const widget = tabs[0]!.locator('parley-chat-widget');
      await widget.evaluate((el: HTMLElement & { show(): void }) => el.show());
      await widget.locator('textarea.input').fill('Is the blue mug in stock?');
      await widget.getByRole('button', { name: 'Send', exact: true }).click();
      const asked = await agent.nextFrame((f) => f.t === 'push' && f.event.kind === 'message' && (f.event.message.content as { text?: string }).text === 'Is the blue mug in stock?');
      const conversationId = asked.t === 'push' && asked.event.kind === 'message' ? asked.event.message.conversationId : '';

      // Shop → customer, with the panel closed (open, it marks the answer read): both tabs' status
      // lines count it unread (the framework bindings), and the panel shows it once opened.
      await widget.evaluate((el: HTMLElement & { hide(): void }) => el.hide());
      await agent.call('messages.send', { conversationId, clientId: randomUUID(), content: { type: 'text', text: 'Yes, two left.' } });
      for (const tab of tabs) await expect(tab.locator('.chat-status .unread')).toContainText('1 unread');
      await widget.evaluate((el: HTMLElement & { show(): void }) => el.show());
      await expect(widget).toContainText('Yes, two left.');
      for (const tab of tabs) await expect(tab.locator('.chat-status .unread')).toHaveCount(0);

      // Offline: the send waits as pending, then arrives exactly once.
      proxy.setMode('refuse');
      proxy.cutAll();
      await expect(status(tabs[0]!)).not.toHaveAttribute('data-status', 'online', { timeout: 20_000 });
      await widget.locator('textarea.input').fill('Then I will take both.');
      await widget.getByRole('button', { name: 'Send', exact: true }).click();
      await expect(widget.locator('li.message[data-state="pending"]')).toHaveCount(1);
      proxy.setMode('forward');
      await expect(status(tabs[0]!)).toHaveAttribute('data-status', 'online', { timeout: 30_000 });
      await expect(widget.locator('li.message[data-state="pending"]')).toHaveCount(0, { timeout: 20_000 });
      await agent.nextFrame((f) => f.t === 'push' && f.event.kind === 'message' && (f.event.message.content as { text?: string }).text === 'Then I will take both.');
      const { messages } = await agent.call('messages.history', { conversationId, limit: 50 });
      expect(messages.map((m) => (m.content as { text: string }).text)).toEqual(['Is the blue mug in stock?', 'Yes, two left.', 'Then I will take both.']);
      agent.close();
    } finally {
      await context.close();
      server.kill('SIGTERM');
      await proxy.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
