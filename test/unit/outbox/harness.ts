/**
 * An OutboxRunner on a real LocalStore (better-sqlite3) with a fake clock and a scripted server:
 * `send` and `sendBatch` answer like the server (ascending seqs) unless a test scripts otherwise.
 * Tests wait on finished attempts (each calls changed()), never on time.
 */
import type { Content, Message } from '../../../schema';
import { OutboxRunner, type BatchResult, type OutboxDeps } from '../../../worker/sync/OutboxRunner';
import { fakePlatform } from '../../support/fakePlatform';
import { ME, openStore, T0 } from '../store/harness';

export interface RunnerSetup {
  prepare?: OutboxDeps['prepare'];
  ready?: OutboxDeps['ready'];
  /** Replace the batch answer (default: every item stored in order). */
  batch?: (messages: { clientId: string; content: Content }[], store: (m: { clientId: string; content: Content }) => BatchResult) => Promise<BatchResult[]>;
  batching?: boolean;
  /** Whether the runner sees a connection (default: online). */
  online?: () => boolean;
}

export async function setupRunner(opts: RunnerSetup = {}) {
  const o = await openStore();
  const fake = fakePlatform();
  /** Every message the fake server stored, in seq order. */
  const server: Message[] = [];
  const calls: { kind: 'send' | 'batch'; size: number }[] = [];
  const storeOnServer = (conversationId: string, m: { clientId: string; content: Content }): BatchResult => {
    const existing = server.find((s) => s.id === m.clientId);
    if (existing) return { ok: true, message: existing, duplicate: true };
    const message: Message = { id: m.clientId, conversationId, seq: server.length + 1, senderId: ME, content: m.content, serverTs: T0 };
    server.push(message);
    return { ok: true, message, duplicate: false };
  };
  const waiters: (() => void)[] = [];
  const runner = new OutboxRunner({
    store: o.store,
    platform: fake.platform,
    isOnline: opts.online ?? (() => true),
    ...(opts.prepare ? { prepare: opts.prepare } : {}),
    ...(opts.ready ? { ready: opts.ready } : {}),
    send: async ({ conversationId, clientId, content }) => {
      calls.push({ kind: 'send', size: 1 });
      const r = storeOnServer(conversationId, { clientId, content });
      if (!r.ok) throw new Error('unreachable');
      return { message: r.message };
    },
    ...(opts.batching === false
      ? {}
      : {
          sendBatch: async ({ conversationId, messages }) => {
            calls.push({ kind: 'batch', size: messages.length });
            const results = opts.batch
              ? await opts.batch(messages, (m) => storeOnServer(conversationId, m))
              : messages.map((m) => storeOnServer(conversationId, m));
            return { results };
          },
        }),
    changed: () => waiters.shift()?.(),
  });
  /** Resolves after the next finished attempt (one per message, batched or not). */
  const attemptDone = () => new Promise<void>((r) => waiters.push(r));
  const attempts = (n: number) => Promise.all(Array.from({ length: n }, attemptDone));
  return { o, fake, server, calls, runner, attemptDone, attempts };
}
