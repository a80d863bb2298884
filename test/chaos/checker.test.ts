/** The chaos checker on hand-made histories: each kind of violation is found, a clean run passes. */
import { describe, expect, it } from 'vitest';
import type { LocalMessage, MessageState } from '../../worker/store/types';
import { check, NO_ANOMALIES, type Counts, type DeviceRow, type DeviceSnapshot, type ServerSnapshot } from './checker';
import { History, type SendRecord } from './history';
import { EXPLAIN_MARGIN_MS, outcomeUnknown, type DisruptionKind } from './rejections';

const C = 'c1';
const users: Record<string, string> = { 'a.1': 'a', 'b.1': 'b' };
const topology = {
  membersOf: () => ['a', 'b'],
  devicesOf: (user: string) => Object.keys(users).filter((d) => users[d] === user),
  partyOf: (user: string) => user,
};

/** a.1 sent m1, m2 (in that order); the server stored them at seqs 1, 2; both devices hold both. */
function world() {
  const history = new History((d) => users[d]!);
  for (const [id, text] of [
    ['m1', 'one'],
    ['m2', 'two'],
  ]) {
    history.beginSend('a.1', C, id!, text!).acknowledged = true;
  }
  const server: ServerSnapshot = {
    rows: [
      { conversationId: C, seq: 1, senderId: 'a', clientId: 'm1', text: 'one' },
      { conversationId: C, seq: 2, senderId: 'a', clientId: 'm2', text: 'two' },
    ],
    lastSeq: new Map([[C, 2]]),
    members: new Map([[C, new Map([['a', { delivered: 2, read: 2 }], ['b', { delivered: 0, read: 0 }]])]]),
    announced: new Map(),
    events: [1, 2].map((cursor) => ({ cursor, conversationId: C, kind: 'message', seq: cursor, senderId: 'a', createdAt: 0 })),
  };
  const row = (id: string, seq: number | null, text: string, state: MessageState): DeviceRow => ({ id, senderId: 'a', conversationId: C, seq, state, text });
  const device = (device: string, state: (own: boolean) => MessageState): DeviceSnapshot => ({
    device,
    user: users[device]!,
    messages: [row('m1', 1, 'one', state(device === 'a.1')), row('m2', 2, 'two', state(device === 'a.1'))],
    outbox: [],
    readSeq: new Map(),
    cursor: 2,
  });
  const devices = [device('a.1', () => 'sent'), device('b.1', () => 'received')];
  for (const d of devices) for (const cursor of [1, 2]) history.pushStored(d.device, cursor);
  return { history, server, devices, row };
}

const local = (id: string, seq: number | null, state: MessageState): LocalMessage => ({
  id,
  senderId: 'a',
  conversationId: C,
  seq,
  content: { type: 'text', text: id },
  state,
  error: null,
  createdAt: 0,
  serverTs: null,
});

/** send() rejected now, with the engine's `code` (null: no answer came). */
function reject(s: SendRecord, code: string | null): void {
  s.settledAt = Date.now();
  s.code = code;
  s.error = code ? `ParleyError: ${code}` : 'page.evaluate: Target page, context or browser has been closed';
  s.indeterminate = outcomeUnknown(code);
}

/** Every count zero but these: a planted anomaly must be counted exactly, and as nothing else. */
const only = (counts: Partial<Counts>): Counts => ({ ...NO_ANOMALIES, ...counts });

describe('chaos checker', () => {
  it('passes a clean run', () => {
    const { history, server, devices } = world();
    const r = check(history, server, devices, topology);
    expect(r.pass).toBe(true);
    expect(r.acknowledged).toBe(2);
  });

  it('a send whose outcome was unknown (the browser died) counts once it turns up, and is no anomaly when it never does', () => {
    const { history, server, devices, row } = world();
    history.disrupted('a.1', 'browser-kill', Date.now(), Date.now());
    reject(history.beginSend('a.1', C, 'm3', 'three'), null);
    reject(history.beginSend('a.1', C, 'm4', 'four'), null); // never stored anywhere
    server.rows.push({ conversationId: C, seq: 3, senderId: 'a', clientId: 'm3', text: 'three' });
    server.lastSeq.set(C, 3);
    devices[0]!.messages.push(row('m3', 3, 'three', 'sent'));
    const r = check(history, server, devices, topology);
    // m3 is made, so it must be everywhere: b.1 lacks it. m4 is simply not made.
    expect(r.acknowledged).toBe(3);
    expect(r.refused).toBe(1);
    expect(r.anomalies.map((a) => a.kind)).toEqual(['lost']);
    expect(r.anomalies[0]!.detail).toContain('b.1');
  });

  describe('recalls', () => {
    const RECALLED = '{"type":"recalled"}';
    /** m2 recalled: on the server (with its event), and on `onDevices`. */
    function recalledWorld(onDevices: string[], resolved = true) {
      const w = world();
      w.history.beginRecall(w.history.sends.get('m2')!).outcome = resolved ? 'resolved' : 'rejected';
      Object.assign(w.server.rows[1]!, { text: RECALLED, recalled: true });
      w.server.events.push({ cursor: 3, conversationId: C, kind: 'recall', seq: 2, recall: { senderId: 'a', messageId: 'm2' }, createdAt: 0 });
      for (const d of w.devices) {
        d.cursor = 3;
        w.history.pushStored(d.device, 3);
        if (onDevices.includes(d.device)) Object.assign(d.messages[1]!, { text: RECALLED, recalled: true });
      }
      return w;
    }

    it('passes a message recalled everywhere: a state of it, not a lost or unknown message', () => {
      const { history, server, devices } = recalledWorld(['a.1', 'b.1']);
      expect(check(history, server, devices, topology).counts).toEqual(NO_ANOMALIES);
    });

    it('finds a device still showing what the server recalled, and a resolved recall the server lacks', () => {
      const w = recalledWorld(['a.1']);
      expect(check(w.history, w.server, w.devices, topology).counts).toEqual(only({ unrecalled: 1 }));
      const v = world();
      v.history.beginRecall(v.history.sends.get('m1')!).outcome = 'resolved';
      expect(check(v.history, v.server, v.devices, topology).counts).toEqual(only({ unrecalled: 1 }));
    });

    it('finds a recall nobody made, one recalled only on a device, and a recall made twice', () => {
      const w = recalledWorld(['a.1', 'b.1']);
      w.history.recalls.clear();
      expect(check(w.history, w.server, w.devices, topology).counts).toEqual(only({ unexpected: 1 }));
      const v = world();
      Object.assign(v.devices[1]!.messages[0]!, { text: RECALLED, recalled: true });
      expect(check(v.history, v.server, v.devices, topology).counts).toEqual(only({ unexpected: 1 }));
      const twice = recalledWorld(['a.1', 'b.1']);
      twice.server.events.push({ cursor: 4, conversationId: C, kind: 'recall', seq: 2, recall: { senderId: 'a', messageId: 'm2' }, createdAt: 0 });
      for (const d of twice.devices) {
        d.cursor = 4;
        twice.history.pushStored(d.device, 4);
      }
      expect(check(twice.history, twice.server, twice.devices, topology).counts).toEqual(only({ duplicated: 1 }));
    });

    it('counts a recalled message shown with its content again as a regression', () => {
      const { history } = world();
      const recalled = { ...local('m1', 1, 'received'), content: { type: 'recalled' } };
      history.messages('b.1', C, [recalled]);
      history.messages('b.1', C, [local('m1', 1, 'received')]);
      expect(history.count('regression')).toBe(1);
    });
  });

  it("counts a browser tab whose view disagrees with the database as lost (UI)", () => {
    const { history, server, devices } = world();
    devices[1]!.uiDiffs = ['tab 1 of b.1 shows 1 messages in c1, tab 0 2, or in other states'];
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ lost: 1 }));
    expect(r.anomalies[0]).toMatchObject({ kind: 'lost', device: 'b.1' });
  });

  it("runs the dropped-push check on a browser's own log of stored pushes, whatever its tabs heard", () => {
    const { server, devices } = world();
    const history = new History((d) => users[d]!);
    for (const [id, text] of [['m1', 'one'], ['m2', 'two']]) history.beginSend('a.1', C, id!, text!).acknowledged = true;
    for (const cursor of [1, 2]) history.pushStored('a.1', cursor);
    // b.1 is a browser whose worker died before its tabs heard of anything: its log says what it stored.
    devices[1]!.storedPushes = [1, 2];
    expect(check(history, server, devices, topology).counts).toEqual(NO_ANOMALIES);
    devices[1]!.storedPushes = [2];
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ dropped: 1 }));
    expect(r.anomalies[0]).toMatchObject({ kind: 'dropped', device: 'b.1' });
  });

  it('counts a message missing at a member device as lost, and one unsent at its sender as stuck', () => {
    const { history, server, devices, row } = world();
    devices[1]!.messages.pop();
    devices[0]!.messages[1] = row('m2', null, 'two', 'pending');
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ lost: 1, stuck: 1 }));
  });

  it('counts one send stored twice on the server (a second id for the same text) as duplicated: the stray id and the text twice', () => {
    const { history, server, devices } = world();
    server.rows.push({ conversationId: C, seq: 3, senderId: 'a', clientId: 'm9', text: 'two' });
    expect(check(history, server, devices, topology).counts).toEqual(only({ duplicated: 2 }));
  });

  it('counts one send stored twice on a device (a second, unsent id for the same text) as duplicated: the stray id and the text twice', () => {
    const { history, server, devices, row } = world();
    devices[0]!.messages.push(row('m9', null, 'two', 'pending'));
    expect(check(history, server, devices, topology).counts).toEqual(only({ duplicated: 2 }));
  });

  it('counts an acknowledged message the server never got as lost, naming the server', () => {
    const { history, server, devices, row } = world();
    history.beginSend('a.1', C, 'm3', 'three').acknowledged = true;
    devices[0]!.messages.push(row('m3', null, 'three', 'pending'));
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ lost: 1 }));
    expect(r.anomalies[0]!.detail).toBe('"three" (c1) missing at server, b.1');
  });

  it('counts a server message nobody sent, and a refused send the server stored anyway, as unexpected', () => {
    const { history, server, devices } = world();
    server.rows.push({ conversationId: C, seq: 3, senderId: 'b', clientId: 'x1', text: 'nobody sent this' });
    history.disrupted('a.1', 'quota', Date.now(), Date.now());
    reject(history.beginSend('a.1', C, 'm4', 'four'), 'STORAGE_FULL');
    server.rows.push({ conversationId: C, seq: 4, senderId: 'a', clientId: 'm4', text: 'four' });
    expect(check(history, server, devices, topology).counts).toEqual(only({ unexpected: 2 }));
  });

  it('counts a refused send stored on its device anyway as unexpected', () => {
    const { history, server, devices, row } = world();
    history.disrupted('a.1', 'quota', Date.now(), Date.now());
    reject(history.beginSend('a.1', C, 'm3', 'three'), 'STORAGE_FULL');
    devices[0]!.messages.push(row('m3', null, 'three', 'pending'));
    expect(check(history, server, devices, topology).counts).toEqual(only({ unexpected: 1 }));
  });

  it('counts a message failed with a code no server answer gave as failed; one that ran out of retries only as gaveUp', () => {
    const { history, server, devices } = world();
    history.failed('m1', 'CLOSED');
    history.failed('m2', 'REQUEST_TIMEOUT');
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ failed: 1 }));
    expect(r.gaveUp).toBe(1);
  });

  it('counts a device order that differs from the server, and seqs against the send order, as reordered', () => {
    const { history, server, devices, row } = world();
    devices[1]!.messages = [row('m1', 2, 'one', 'received'), row('m2', 1, 'two', 'received')];
    expect(check(history, server, devices, topology).counts).toEqual(only({ reordered: 2 }));
    const swapped = world();
    swapped.server.rows = [
      { conversationId: C, seq: 2, senderId: 'a', clientId: 'm1', text: 'one' },
      { conversationId: C, seq: 1, senderId: 'a', clientId: 'm2', text: 'two' },
    ];
    swapped.devices.forEach((d) => d.messages.forEach((m) => (m.seq = m.id === 'm1' ? 2 : 1)));
    expect(check(swapped.history, swapped.server, swapped.devices, topology).counts).toEqual(only({ reordered: 1 }));
  });

  it('counts a state going back in a live page as a regression, once', () => {
    const { history, server, devices } = world();
    history.messages('a.1', C, [local('m1', 1, 'read')]);
    history.messages('a.1', C, [local('m1', 1, 'delivered')]);
    history.messages('a.1', C, [local('m1', 1, 'delivered')]);
    history.messages('a.1', C, [local('m2', null, 'pending'), local('m2', null, 'pending')]);
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ regressions: 1, duplicated: 1 }));
  });

  it("counts a message's seq changing in a live page as a regression", () => {
    const { history, server, devices } = world();
    history.messages('b.1', C, [local('m1', 1, 'received')]);
    history.messages('b.1', C, [local('m1', 3, 'received')]);
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ regressions: 1 }));
    expect(r.anomalies[0]!.detail).toBe('seq 1 → 3');
  });

  it('counts a stored cursor lower after a reload than before it as a regression', () => {
    const { history, server, devices } = world();
    history.event('a.1', 'cursor_regression', 'stored cursor 3 < 7 before the reload');
    expect(check(history, server, devices, topology).counts).toEqual(only({ regressions: 1 }));
  });

  it('counts a push below the stored cursor that the device never stored as dropped', () => {
    const { history, server, devices } = world();
    const receipt = (cursor: number) => ({ cursor, conversationId: C, kind: 'receipt', createdAt: 0, receipt: { userId: 'b', kind: 'delivered', upToSeq: 2 } });
    server.events.push(receipt(3), receipt(4));
    devices[1]!.cursor = 4;
    history.pushStored('b.1', 4);
    expect(check(history, server, devices, topology).counts).toEqual(only({ dropped: 1 })); // 3; a.1's cursor is 2
  });

  describe('rejected sends', () => {
    /** a.1's sends: m3 and m4 called at `calledAt`, each rejected with `code`; the disruptions as given. */
    function rejections(code: string | null, disruptions: [string, DisruptionKind, number, number][], calledAt = 1_000) {
      const { history, server, devices } = world();
      for (const [device, kind, from, to] of disruptions) history.disrupted(device, kind, from, to);
      for (const [id, text] of [['m3', 'three'], ['m4', 'four']] as const) {
        const s = history.beginSend('a.1', C, id, text);
        s.calledAt = calledAt;
        reject(s, code);
        s.settledAt = calledAt + 50;
      }
      return check(history, server, devices, topology);
    }

    it('passes STORAGE_FULL during a quota episode of that browser, and outcomes unknown during a kill or a closed worker', () => {
      expect(rejections('STORAGE_FULL', [['a.1', 'quota', 900, 3_000]]).counts).toEqual(NO_ANOMALIES);
      expect(rejections(null, [['a.1', 'browser-kill', 1_020, 8_000]]).counts).toEqual(NO_ANOMALIES);
      expect(rejections('DISCONNECTED', [['a.1', 'worker-close', 1_010, 1_011]]).counts).toEqual(NO_ANOMALIES);
      // Called a moment after the worker was closed, before the tab heard of it.
      expect(rejections('DISCONNECTED', [['a.1', 'worker-close', 0, 1_000 - EXPLAIN_MARGIN_MS]]).counts).toEqual(NO_ANOMALIES);
      const r = rejections(null, [['a.1', 'tab-reload', 1_000, 1_500]]);
      expect(r.counts).toEqual(NO_ANOMALIES);
      expect(r.refused).toBe(2);
      expect(rejections(null, [['a.1', 'quota-restart', 1_040, 1_200]]).counts).toEqual(NO_ANOMALIES);
    });

    it('counts a rejection with no fault of its device around it as rejected, once per send', () => {
      const r = rejections('STORAGE_FULL', []);
      expect(r.counts).toEqual(only({ rejected: 2 }));
      expect(r.refused).toBe(2);
      expect(r.anomalies[0]).toMatchObject({ kind: 'rejected', device: 'a.1', id: 'm3' });
      expect(rejections('DISCONNECTED', []).counts).toEqual(only({ rejected: 2 }));
    });

    it("counts a rejection the fault cannot explain as rejected: another device's fault, another time, or the wrong kind", () => {
      expect(rejections('STORAGE_FULL', [['b.1', 'quota', 0, 5_000]]).counts).toEqual(only({ rejected: 2 }));
      expect(rejections('STORAGE_FULL', [['a.1', 'quota', 2_000, 5_000]]).counts).toEqual(only({ rejected: 2 }));
      expect(rejections(null, [['a.1', 'worker-close', 0, 999 - EXPLAIN_MARGIN_MS]]).counts).toEqual(only({ rejected: 2 }));
      expect(rejections('STORAGE_FULL', [['a.1', 'browser-kill', 0, 5_000]]).counts).toEqual(only({ rejected: 2 }));
      // A full disk refuses sends; it does not cut calls (its restart does, and has its own window).
      expect(rejections(null, [['a.1', 'quota', 0, 5_000]]).counts).toEqual(only({ rejected: 2 }));
      // Called once the killed browser was gone: such a send waits for the relaunch, and must then succeed.
      expect(rejections(null, [['a.1', 'browser-kill', 0, 999 - EXPLAIN_MARGIN_MS]]).counts).toEqual(only({ rejected: 2 }));
    });

    it('counts a refusal no fault of this workload causes as rejected, even during one', () => {
      const around: [string, DisruptionKind, number, number][] = [['a.1', 'quota', 0, 5_000], ['a.1', 'browser-kill', 0, 5_000]];
      expect(rejections('INVALID_PARAMS', around).counts).toEqual(only({ rejected: 2 }));
      expect(rejections('CLOSED', around).counts).toEqual(only({ rejected: 2 }));
      expect(rejections('INTERNAL', around).counts).toEqual(only({ rejected: 2 }));
    });
  });

  it('counts an own message behind the receipts the server pushed as stale', () => {
    const { history, server, devices } = world();
    server.announced.set(C, new Map([['b', { delivered: 2, read: 1 }]]));
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ stale: 2 })); // m1 should be read, m2 delivered; both are sent
  });

  it("counts a device's read position behind its own party's read receipts (read on another device) as stale", () => {
    const { history, server, devices } = world();
    server.announced.set(C, new Map([['a', { delivered: 2, read: 2 }]]));
    devices[0]!.readSeq.set(C, 1);
    const r = check(history, server, devices, topology);
    expect(r.counts).toEqual(only({ stale: 1 }));
    expect(r.anomalies[0]).toMatchObject({ kind: 'stale', device: 'a.1', ref: { conversationId: C, seq: 2, by: 'self' } });
  });
});
