/** The engine's typing and presence, on a fake clock: throttled sends, expiring notices, one watch for all tabs. */
import { describe, expect, it } from 'vitest';
import { TYPING_RESEND_MS, TYPING_TTL_MS, type RequestParams, type RequestResult, type TypingFrame } from '../../../schema';
import { EngineSignals } from '../../../worker/signals/EngineSignals';
import type { ConversationPresence, TypingParty } from '../../../worker/protocol';
import { fakePlatform } from '../../support/fakePlatform';

function setup() {
  const fake = fakePlatform();
  const sent: TypingFrame[] = [];
  const typing: { conversationId: string; typing: TypingParty[] }[] = [];
  const presence: ConversationPresence[][] = [];
  const watches: { params: RequestParams<'presence.watch'>; answer: (r: RequestResult<'presence.watch'>) => void }[] = [];
  const statuses: string[] = [];
  let online = true;
  const signals = new EngineSignals({
    platform: fake.platform,
    send: (f) => online && (sent.push(f), true),
    watch: (params) => new Promise((answer) => watches.push({ params, answer })),
    setStatus: async (p) => void statuses.push(p.status),
    emitTyping: (conversationId, t) => typing.push({ conversationId, typing: t }),
    emitPresence: (c) => presence.push(c),
    report: () => {},
  });
  return { clock: fake.clock, signals, sent, typing, presence, watches, statuses, setOnline: (v: boolean) => (online = v) };
}

describe('EngineSignals: typing', () => {
  it('sends one active notice per TYPING_RESEND_MS however often tabs say so, and one stop', () => {
    const t = setup();
    for (let i = 0; i < 10; i++) {
      t.signals.setTyping('c1', true);
      t.clock.advance(100);
    }
    expect(t.sent).toEqual([{ t: 'typing', conversationId: 'c1', active: true }]);
    t.clock.advance(TYPING_RESEND_MS);
    t.signals.setTyping('c1', true);
    t.signals.setTyping('c1', false);
    t.signals.setTyping('c1', false);
    expect(t.sent.map((f) => f.active)).toEqual([true, true, false]);
  });

  it('sends nothing while offline, and does not count what it could not send', () => {
    const t = setup();
    t.setOnline(false);
    t.signals.setTyping('c1', true);
    t.signals.setTyping('c1', false);
    t.setOnline(true);
    t.signals.setTyping('c1', true);
    expect(t.sent).toEqual([{ t: 'typing', conversationId: 'c1', active: true }]);
  });

  it("holds a notice until TYPING_TTL_MS after the last one, or the sender's message", () => {
    const t = setup();
    const notice = { t: 'typing', conversationId: 'c1', from: 'alice', fromKind: 'user', active: true } as const;
    t.signals.onTyping(notice);
    t.clock.advance(TYPING_TTL_MS - 1);
    t.signals.onTyping(notice);
    t.clock.advance(TYPING_TTL_MS - 1);
    expect(t.signals.snapshot().typing).toEqual([{ conversationId: 'c1', typing: [{ id: 'alice', kind: 'user' }] }]);
    t.clock.advance(1);
    expect(t.typing).toEqual([
      { conversationId: 'c1', typing: [{ id: 'alice', kind: 'user' }] },
      { conversationId: 'c1', typing: [] },
    ]);
    // The shop types; an agent's message (its sender is the agent, not the shop) ends it.
    t.signals.onTyping({ ...notice, from: 'shop', fromKind: 'shop' });
    t.signals.onMessage('c1', 'agent-7', () => ['alice']);
    expect(t.typing.at(-1)).toEqual({ conversationId: 'c1', typing: [] });
  });
});

describe('EngineSignals: presence', () => {
  it("asks the server once for all tabs' conversations, again on a new socket, and reports each conversation's parties", async () => {
    const t = setup();
    t.signals.watch('tab-1', ['c1']);
    expect(t.watches).toHaveLength(0); // not online yet
    t.signals.online();
    t.signals.watch('tab-2', ['c1', 'c2']);
    expect(t.watches.map((w) => w.params.conversationIds)).toEqual([['c1']]);
    t.watches[0]!.answer({ conversations: [{ conversationId: 'c1', presence: [{ id: 'shop', kind: 'shop', state: 'online' }] }] });
    await Promise.resolve();
    await Promise.resolve();
    expect(t.watches.map((w) => [...w.params.conversationIds].sort())).toEqual([['c1'], ['c1', 'c2']]);
    t.watches[1]!.answer({
      conversations: [
        { conversationId: 'c1', presence: [{ id: 'shop', kind: 'shop', state: 'online' }] },
        { conversationId: 'c2', presence: [{ id: 'bob', kind: 'user', state: 'offline' }] },
      ],
    });
    await Promise.resolve();
    t.signals.onPresence({ t: 'presence', presence: [{ id: 'shop', kind: 'shop', state: 'away' }] });
    expect(t.presence.at(-1)).toEqual([{ conversationId: 'c1', presence: [{ id: 'shop', kind: 'shop', state: 'away' }] }]);

    t.signals.offline();
    t.signals.online();
    expect([...t.watches.at(-1)!.params.conversationIds].sort()).toEqual(['c1', 'c2']);
  });

  it('says an away status again on each new socket', () => {
    const t = setup();
    t.signals.online();
    t.signals.setStatus('away');
    t.signals.offline();
    t.signals.setStatus('away');
    t.signals.online();
    expect(t.statuses).toEqual(['away', 'away']);
  });
});
