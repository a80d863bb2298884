/** Which tab shows a message's notification: one per message, only when no tab is visible, on a fake clock. */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../schema';
import { ACK_MS, NotificationPicker } from '../../../worker/notify/NotificationPicker';
import { VIEW_TTL_MS } from '../../../worker/notify/tabView';
import { fakePlatform } from '../../support/fakePlatform';

function setup() {
  const fake = fakePlatform();
  const asked: string[] = [];
  const picker = new NotificationPicker(fake.platform, (e) => asked.push(`${e.tabId}:${e.message.id}`), () => ['alice']);
  const message = (id: string, senderId = 'shop-agent'): Message => ({
    id,
    conversationId: 'c1',
    seq: 1,
    senderId,
    content: { type: 'text', text: 'hi' },
    serverTs: fake.clock.now(),
  });
  return { clock: fake.clock, picker, asked, message };
}

describe('NotificationPicker', () => {
  it('asks one tab per message, the one most recently visible, and none while a tab is visible', () => {
    const t = setup();
    t.picker.setView('t1', { visible: true, notify: true });
    t.clock.advance(10);
    t.picker.setView('t2', { visible: true, notify: true });
    t.picker.setView('t3', { visible: true, notify: false });
    t.picker.arrived(t.message('m0'));
    expect(t.asked).toEqual([]);
    // Hidden in this order: t1 was the last one the user looked at.
    for (const id of ['t2', 't3', 't1']) {
      t.clock.advance(10);
      t.picker.setView(id, { visible: false, notify: id !== 't3' });
    }
    t.picker.arrived(t.message('m1'));
    t.picker.arrived(t.message('m1'));
    expect(t.asked).toEqual(['t1:m1']);
  });

  it("asks the next tab when the picked one does not confirm, each tab once; never for one's own or an old message", () => {
    const t = setup();
    t.picker.setView('t1', { visible: false, notify: true });
    t.picker.setView('t2', { visible: false, notify: true });
    t.picker.arrived(t.message('m1'));
    t.clock.advance(ACK_MS);
    t.clock.advance(ACK_MS);
    t.clock.advance(ACK_MS);
    expect(t.asked).toHaveLength(2);
    expect(new Set(t.asked).size).toBe(2);
    t.picker.arrived(t.message('m2'));
    t.picker.shown('m2');
    t.clock.advance(ACK_MS);
    expect(t.asked.filter((a) => a.endsWith(':m2'))).toHaveLength(1);
    t.picker.arrived(t.message('m3', 'alice'));
    const old = { ...t.message('m4'), serverTs: t.clock.now() - 5 * 60_000 };
    t.picker.arrived(old);
    expect(t.asked.filter((a) => a.endsWith(':m3') || a.endsWith(':m4'))).toEqual([]);
  });

  it('forgets a tab it has not heard from: a visible tab that went away no longer holds notifications back', () => {
    const t = setup();
    t.picker.setView('gone', { visible: true, notify: false });
    t.picker.setView('t1', { visible: false, notify: true });
    t.clock.advance(VIEW_TTL_MS + 1);
    t.picker.setView('t1', { visible: false, notify: true });
    t.picker.arrived(t.message('m1'));
    expect(t.asked).toEqual(['t1:m1']);
  });
});
