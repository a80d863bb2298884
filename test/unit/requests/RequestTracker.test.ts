import { getEventListeners } from 'node:events';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  ParleyError,
  RequestId,
  type ConversationInfo,
  type RequestFrame,
  type RequestParams,
  type ResponseFrame,
} from '../../../schema';
import { RequestTracker, type RequestTrackerOptions } from '../../../worker/requests';
import { fakePlatform } from '../../support/fakePlatform';

const TIMEOUT = 1_000;
const CONV = 'c_1';
const GROUP: RequestParams<'conversations.create'> = { kind: 'group', title: 'Team', memberIds: ['bob'] };
const DIRECT: RequestParams<'conversations.create'> = { kind: 'direct', shopId: 'parley-shop' };
const CONVERSATION: ConversationInfo = {
  id: CONV,
  kind: 'direct',
  title: 'Alice · Parley Shop',
  shopId: 'parley-shop',
  createdAt: 1,
  lastSeq: 0,
  lastActivityAt: 1,
};

/**
 * A tracker wired to a scripted link: `sent` records what went on the wire, `link.up` decides what
 * `send` returns. Online (connected) unless told otherwise.
 */
function setup(opts: Partial<RequestTrackerOptions> & { online?: boolean } = {}) {
  const { platform, clock } = fakePlatform();
  const sent: RequestFrame[] = [];
  const link = { up: true };
  const tracker = new RequestTracker({
    platform,
    timeoutMs: TIMEOUT,
    maxPending: 16,
    send: (frame) => {
      if (!link.up) return false;
      sent.push(frame);
      return true;
    },
    ...opts,
  });
  if (opts.online ?? true) tracker.connected();
  return { tracker, clock, sent, link };
}

/** Observe a promise's state without awaiting it. */
function watch<T>(promise: Promise<T>) {
  const s: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(s, { state: 'fulfilled', value }),
    (error: unknown) => Object.assign(s, { state: 'rejected', error }),
  );
  return s;
}

/** Let settled promises run their handlers. The tracker itself never waits on anything. */
async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

const ok = (id: string, result: unknown): ResponseFrame => ({ t: 'res', id, ok: true, result });
const failed = (id: string, code: ErrorCode, message: string): ResponseFrame => ({
  t: 'res',
  id,
  ok: false,
  error: { code, message },
});

function lastId(sent: RequestFrame[]): string {
  const frame = sent.at(-1);
  if (!frame) throw new Error('nothing sent');
  return frame.id;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<ParleyError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a rejection with ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParleyError);
  expect(ParleyError.is(err, code)).toBe(true);
  return err as ParleyError;
}

describe('RequestTracker: responses', () => {
  it('sends a req frame and resolves with the validated result of the matching response', async () => {
    const { tracker, clock, sent } = setup();
    const p = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 5 });
    expect(sent).toEqual([
      { t: 'req', id: expect.any(String), type: 'receipts.delivered', params: { conversationId: CONV, upToSeq: 5 } },
    ]);
    // Unknown keys are dropped by the result schema: proof the value went through checkResult.
    tracker.handleResponse(ok(lastId(sent), { deliveredSeq: 7, extra: 'dropped' }));
    await expect(p).resolves.toEqual({ deliveredSeq: 7 });
    expect(tracker.pending).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('matches responses by id, in any order', async () => {
    const { tracker, sent } = setup();
    const a = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 1 });
    const b = tracker.request('conversations.markRead', { conversationId: CONV, upToSeq: 2 });
    const [idA, idB] = sent.map((f) => f.id) as [string, string];
    expect(idA).not.toBe(idB);
    tracker.handleResponse(ok(idB, { readSeq: 2 }));
    tracker.handleResponse(ok(idA, { deliveredSeq: 1 }));
    await expect(a).resolves.toEqual({ deliveredSeq: 1 });
    await expect(b).resolves.toEqual({ readSeq: 2 });
  });

  it('rejects an error response with a ParleyError carrying the server code and message', async () => {
    const { tracker, clock, sent } = setup();
    const p = tracker.request('conversations.members', { conversationId: CONV });
    tracker.handleResponse(failed(lastId(sent), ErrorCode.FORBIDDEN, 'not a member'));
    const err = await expectCode(p, ErrorCode.FORBIDDEN);
    expect(err.message).toBe('not a member');
    expect(clock.pending).toBe(0);
  });

  it('rejects a result that does not match the schema with INVALID_FRAME instead of resolving', async () => {
    const { tracker, clock, sent } = setup();
    const p = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 5 });
    tracker.handleResponse(ok(lastId(sent), { deliveredSeq: 'five' }));
    const err = await expectCode(p, ErrorCode.INVALID_FRAME);
    expect(err.message).toContain('receipts.delivered');
    expect(err.message).toContain('deliveredSeq');
    expect(clock.pending).toBe(0);
  });

  it('ignores responses for unknown ids and for requests already settled', async () => {
    const { tracker, sent } = setup();
    const p = watch(tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 1 }));
    const id = lastId(sent);
    expect(() => tracker.handleResponse(ok('nobody', { deliveredSeq: 9 }))).not.toThrow();
    await flush();
    expect(p.state).toBe('pending');

    tracker.handleResponse(ok(id, { deliveredSeq: 1 }));
    // A second answer to the same id must not replace the first.
    expect(() => tracker.handleResponse(failed(id, ErrorCode.INTERNAL, 'late'))).not.toThrow();
    await flush();
    expect(p).toMatchObject({ state: 'fulfilled', value: { deliveredSeq: 1 } });
  });

  it('ignores a response for an id that was never sent', async () => {
    let n = 0;
    const { tracker, sent } = setup({ online: false, newId: () => `r${++n}` });
    const p = watch(tracker.request('sync', { cursor: 0, limit: 10 }));
    tracker.handleResponse(ok('r1', { events: [], nextCursor: 0, hasMore: false }));
    await flush();
    expect(p.state).toBe('pending');
    tracker.connected();
    expect(lastId(sent)).toBe('r1');
    tracker.handleResponse(ok('r1', { events: [], nextCursor: 3, hasMore: false }));
    await flush();
    expect(p).toMatchObject({ state: 'fulfilled', value: { nextCursor: 3 } });
  });
});

describe('RequestTracker: timeouts', () => {
  it('times out exactly at timeoutMs, not a millisecond before', async () => {
    const { tracker, clock } = setup();
    const promise = tracker.request('conversations.list', { limit: 20, offset: 0 });
    const p = watch(promise);
    clock.advance(TIMEOUT - 1);
    await flush();
    expect(p.state).toBe('pending');
    expect(tracker.pending).toBe(1);

    clock.advance(1);
    const err = await expectCode(promise, ErrorCode.REQUEST_TIMEOUT);
    expect(err.message).toContain('conversations.list');
    expect(err.message).toContain(`${TIMEOUT} ms`);
    expect(tracker.pending).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('honours a per-call timeout, shorter or longer than the default', async () => {
    const { tracker, clock } = setup();
    const short = tracker.request('sync', { cursor: 0, limit: 10 }, { timeoutMs: 50 });
    const long = watch(tracker.request('sync', { cursor: 0, limit: 10 }, { timeoutMs: 5_000 }));
    const s = watch(short);
    clock.advance(49);
    await flush();
    expect(s.state).toBe('pending');
    clock.advance(1);
    const err = await expectCode(short, ErrorCode.REQUEST_TIMEOUT);
    expect(err.message).toContain('50 ms');

    clock.advance(TIMEOUT); // past the default: the long one is still waiting
    await flush();
    expect(long.state).toBe('pending');
    clock.advance(5_000 - 50 - TIMEOUT);
    await flush();
    expect(long.state).toBe('rejected');
    expect(ParleyError.is(long.error, ErrorCode.REQUEST_TIMEOUT)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('counts the timeout from the call, including time spent queued while offline', async () => {
    const { tracker, clock, sent } = setup({ online: false });
    const promise = tracker.request('sync', { cursor: 0, limit: 10 });
    const p = watch(promise);
    clock.advance(600);
    tracker.connected();
    expect(sent).toHaveLength(1);
    clock.advance(399);
    await flush();
    expect(p.state).toBe('pending');
    clock.advance(1);
    await expectCode(promise, ErrorCode.REQUEST_TIMEOUT);
  });

  it('times out a request that never left the queue', async () => {
    const { tracker, clock, sent } = setup({ online: false });
    const promise = tracker.request('sync', { cursor: 0, limit: 10 });
    clock.advance(TIMEOUT);
    const err = await expectCode(promise, ErrorCode.REQUEST_TIMEOUT);
    expect(err.message).toContain('waiting for a connection');
    tracker.connected();
    expect(sent).toEqual([]); // a timed-out request must not go out later
  });

  it('ignores a response that arrives after the timeout', async () => {
    const { tracker, clock, sent } = setup();
    const promise = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 1 });
    const id = lastId(sent);
    clock.advance(TIMEOUT);
    await expectCode(promise, ErrorCode.REQUEST_TIMEOUT);
    const other = watch(tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 2 }));
    expect(() => tracker.handleResponse(ok(id, { deliveredSeq: 1 }))).not.toThrow();
    await flush();
    expect(other.state).toBe('pending');
    expect(tracker.pending).toBe(1);
  });

  it('refuses an invalid timeout: per call with INVALID_PARAMS, in the constructor with RangeError', async () => {
    const { tracker, sent, clock } = setup();
    await expectCode(tracker.request('sync', { cursor: 0, limit: 1 }, { timeoutMs: 0 }), ErrorCode.INVALID_PARAMS);
    await expectCode(
      tracker.request('sync', { cursor: 0, limit: 1 }, { timeoutMs: Number.POSITIVE_INFINITY }),
      ErrorCode.INVALID_PARAMS,
    );
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(() => setup({ timeoutMs: -1 })).toThrow(RangeError);
    expect(() => setup({ maxPending: 0 })).toThrow(RangeError);
  });
});

describe('RequestTracker: cap', () => {
  it('refuses with TOO_MANY_PENDING once maxPending are pending, counting queued ones', async () => {
    const { tracker, clock, sent } = setup({ maxPending: 2, online: false });
    tracker.request('sync', { cursor: 0, limit: 1 }).catch(() => {}); // queued
    tracker.connected();
    const inFlight = tracker.request('sync', { cursor: 1, limit: 1 });
    expect(tracker.pending).toBe(2);

    const err = await expectCode(tracker.request('sync', { cursor: 2, limit: 1 }), ErrorCode.TOO_MANY_PENDING);
    expect(err.message).toContain('2');
    expect(sent).toHaveLength(2); // the refused one never went out
    expect(tracker.pending).toBe(2);
    expect(clock.pending).toBe(2); // and left no timer behind

    tracker.handleResponse(ok(lastId(sent), { events: [], nextCursor: 1, hasMore: false }));
    await inFlight;
    const next = watch(tracker.request('sync', { cursor: 3, limit: 1 }));
    await flush();
    expect(next.state).toBe('pending');
    expect(tracker.pending).toBe(2);
  });
});

describe('RequestTracker: abort', () => {
  it('rejects with ABORTED when the signal fires, and removes its listener', async () => {
    const { tracker, clock } = setup();
    const ctrl = new AbortController();
    const promise = tracker.request('sync', { cursor: 0, limit: 1 }, { signal: ctrl.signal });
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(1);
    ctrl.abort(new Error('user left'));
    const err = await expectCode(promise, ErrorCode.ABORTED);
    expect(err.message).toContain('sync');
    expect(tracker.pending).toBe(0);
    expect(clock.pending).toBe(0);
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once for an already-aborted signal, sending nothing and starting no timer', async () => {
    const { tracker, clock, sent } = setup();
    const promise = tracker.request('sync', { cursor: 0, limit: 1 }, { signal: AbortSignal.abort() });
    expect(tracker.pending).toBe(0);
    await expectCode(promise, ErrorCode.ABORTED);
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('removes the abort listener when the request settles any other way', async () => {
    const { tracker, clock, sent } = setup();
    const resolved = new AbortController();
    const timedOut = new AbortController();
    const a = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 1 }, { signal: resolved.signal });
    tracker.handleResponse(ok(lastId(sent), { deliveredSeq: 1 }));
    await a;
    expect(getEventListeners(resolved.signal, 'abort')).toHaveLength(0);

    const b = tracker.request('sync', { cursor: 0, limit: 1 }, { signal: timedOut.signal });
    clock.advance(TIMEOUT);
    await expectCode(b, ErrorCode.REQUEST_TIMEOUT);
    expect(getEventListeners(timedOut.signal, 'abort')).toHaveLength(0);
    timedOut.abort(); // too late: must not throw or touch anything
    expect(tracker.pending).toBe(0);
  });
});

describe('RequestTracker: offline queue', () => {
  it('queues requests made while offline and sends them in call order on connected()', async () => {
    const { tracker, sent } = setup({ online: false });
    const a = tracker.request('sync', { cursor: 0, limit: 1 });
    const b = tracker.request('conversations.list', { limit: 5, offset: 0 });
    const c = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 3 });
    expect(sent).toEqual([]);
    expect(tracker.pending).toBe(3);

    tracker.connected();
    expect(sent.map((f) => f.type)).toEqual(['sync', 'conversations.list', 'receipts.delivered']);
    const [ia, ib, ic] = sent.map((f) => f.id) as [string, string, string];
    tracker.handleResponse(ok(ic, { deliveredSeq: 3 }));
    tracker.handleResponse(ok(ia, { events: [], nextCursor: 0, hasMore: false }));
    tracker.handleResponse(ok(ib, { conversations: [], total: 0 }));
    await expect(Promise.all([a, b, c])).resolves.toEqual([
      { events: [], nextCursor: 0, hasMore: false },
      { conversations: [], total: 0 },
      { deliveredSeq: 3 },
    ]);
  });

  it('keeps a request queued when send reports the link is down, and queues later ones behind it', () => {
    const { tracker, sent, link } = setup();
    link.up = false; // dropped, but the connection has not told the tracker yet
    tracker.request('sync', { cursor: 0, limit: 1 }).catch(() => {});
    link.up = true;
    tracker.request('sync', { cursor: 1, limit: 1 }).catch(() => {}); // must not overtake the first
    expect(sent).toEqual([]);
    tracker.connected();
    expect(sent.map((f) => f.params)).toEqual([
      { cursor: 0, limit: 1 },
      { cursor: 1, limit: 1 },
    ]);
  });

  it('fails only the request whose send threw, with INTERNAL and the cause', async () => {
    const boom = new Error('encode failed');
    let calls = 0;
    const { tracker } = setup({
      send: () => {
        if (++calls === 1) throw boom;
        return true;
      },
    });
    const first = tracker.request('sync', { cursor: 0, limit: 1 });
    const second = watch(tracker.request('sync', { cursor: 1, limit: 1 }));
    const err = await expectCode(first, ErrorCode.INTERNAL);
    expect(err.cause).toBe(boom);
    await flush();
    expect(second.state).toBe('pending');
    expect(calls).toBe(2);
  });
});

describe('RequestTracker: disconnect', () => {
  it('re-sends requeued requests with the same id on the next connected(); their answer resolves them', async () => {
    const { tracker, sent, clock } = setup();
    const receipt = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 4 });
    const direct = tracker.request('conversations.create', DIRECT);
    const firstIds = sent.map((f) => f.id);

    tracker.disconnected();
    expect(tracker.pending).toBe(2);
    sent.length = 0;
    tracker.connected();
    expect(sent.map((f) => f.id)).toEqual(firstIds);
    expect(sent.map((f) => f.type)).toEqual(['receipts.delivered', 'conversations.create']);

    tracker.handleResponse(ok(firstIds[0] as string, { deliveredSeq: 4 }));
    tracker.handleResponse(ok(firstIds[1] as string, { conversation: CONVERSATION }));
    await expect(receipt).resolves.toEqual({ deliveredSeq: 4 });
    await expect(direct).resolves.toEqual({ conversation: CONVERSATION });
    expect(clock.pending).toBe(0);
  });

  it('rejects a non-idempotent request on the wire with OUTCOME_UNKNOWN and does not resend it', async () => {
    const { tracker, sent, clock } = setup();
    const group = tracker.request('conversations.create', GROUP);
    const read = watch(tracker.request('conversations.list', { limit: 1, offset: 0 }));

    tracker.disconnected();
    const err = await expectCode(group, ErrorCode.OUTCOME_UNKNOWN);
    expect(err.message).toContain('conversations.create');
    expect(read.state).toBe('pending');
    expect(tracker.pending).toBe(1);
    expect(clock.pending).toBe(1);

    sent.length = 0;
    tracker.connected();
    expect(sent.map((f) => f.type)).toEqual(['conversations.list']);
  });

  it('leaves never-sent requests queued (even group creates) and sends requeued ones first, in call order', () => {
    const { tracker, sent } = setup();
    tracker.request('sync', { cursor: 0, limit: 1 }).catch(() => {});
    tracker.disconnected();
    tracker.request('conversations.create', GROUP).catch(() => {});
    expect(tracker.pending).toBe(2);
    sent.length = 0;
    tracker.connected();
    expect(sent.map((f) => f.type)).toEqual(['sync', 'conversations.create']);
  });

  it('keeps the original deadline for a requeued request', async () => {
    const { tracker, clock } = setup();
    const promise = tracker.request('sync', { cursor: 0, limit: 1 });
    const p = watch(promise);
    clock.advance(700);
    tracker.disconnected();
    clock.advance(200);
    tracker.connected();
    clock.advance(99);
    await flush();
    expect(p.state).toBe('pending');
    clock.advance(1);
    await expectCode(promise, ErrorCode.REQUEST_TIMEOUT);
  });

  it('keeps one id across any number of resends', () => {
    // The id stays in our map until the request settles, so it is still unique among our pending
    // requests; the old socket is gone, so no answer meant for the first attempt can be confused
    // with another request. This pins that contract: no fresh id on resend.
    const { tracker, sent } = setup();
    tracker.request('messages.send', {
      conversationId: CONV,
      clientId: '6f1d0c1e-8b1a-4a53-9a0e-2f7c3c1d9b10',
      content: { type: 'text', text: 'hi' },
    }).catch(() => {});
    tracker.disconnected();
    tracker.connected();
    tracker.disconnected();
    tracker.connected();
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((f) => f.id)).size).toBe(1);
  });
});

describe('RequestTracker: closed', () => {
  it('rejects queued and in-flight requests with DISCONNECTED by default', async () => {
    const { tracker, clock } = setup();
    const inFlight = tracker.request('sync', { cursor: 0, limit: 1 });
    tracker.disconnected();
    const queued = tracker.request('conversations.create', GROUP);
    tracker.closed();
    await expectCode(inFlight, ErrorCode.DISCONNECTED);
    await expectCode(queued, ErrorCode.DISCONNECTED);
    expect(tracker.pending).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('uses the given code, refuses new requests at once until connected(), then works again', async () => {
    const { tracker, clock, sent } = setup();
    const before = tracker.request('sync', { cursor: 0, limit: 1 });
    tracker.closed(ErrorCode.CLOSED);
    await expectCode(before, ErrorCode.CLOSED);

    sent.length = 0;
    await expectCode(tracker.request('sync', { cursor: 0, limit: 1 }), ErrorCode.CLOSED);
    tracker.disconnected(); // a late drop notice must not reopen the queue
    await expectCode(tracker.request('sync', { cursor: 0, limit: 1 }), ErrorCode.CLOSED);
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(0);

    tracker.connected();
    const after = tracker.request('receipts.delivered', { conversationId: CONV, upToSeq: 1 });
    expect(sent).toHaveLength(1);
    tracker.handleResponse(ok(lastId(sent), { deliveredSeq: 1 }));
    await expect(after).resolves.toEqual({ deliveredSeq: 1 });
  });
});

describe('RequestTracker: ids and cleanup', () => {
  it('makes short, unique ids that the wire schema accepts', () => {
    const { tracker, sent } = setup({ maxPending: 1000 });
    for (let i = 0; i < 500; i++) tracker.request('sync', { cursor: i, limit: 1 }).catch(() => {});
    const ids = sent.map((f) => f.id);
    expect(new Set(ids).size).toBe(500);
    for (const id of ids) {
      expect(v.is(RequestId, id)).toBe(true);
      expect(id.length).toBeLessThanOrEqual(16);
    }
  });

  it('refuses with INTERNAL when newId gives an id the wire would refuse or one already pending', async () => {
    const { tracker, sent } = setup({ newId: () => 'same' });
    tracker.request('sync', { cursor: 0, limit: 1 }).catch(() => {});
    await expectCode(tracker.request('sync', { cursor: 1, limit: 1 }), ErrorCode.INTERNAL);
    expect(sent).toHaveLength(1);
    const bad = setup({ newId: () => 'has space' });
    await expectCode(bad.tracker.request('sync', { cursor: 0, limit: 1 }), ErrorCode.INTERNAL);
    expect(bad.sent).toEqual([]);
  });

  it('leaves no timers once every request has settled, whichever way', async () => {
    const { tracker, clock, sent } = setup({ online: false });
    const ctrl = new AbortController();
    const all = [
      tracker.request('sync', { cursor: 0, limit: 1 }), // answered
      tracker.request('messages.history', { conversationId: CONV, limit: 1 }), // error response
      tracker.request('conversations.create', GROUP), // dropped
      tracker.request('conversations.members', { conversationId: CONV }, { signal: ctrl.signal }), // aborted
      tracker.request('messages.range', { conversationId: CONV, afterSeq: 0, limit: 1 }, { timeoutMs: 10 }),
      tracker.request('conversations.list', { limit: 1, offset: 0 }), // closed
    ].map((p) => p.catch((e: unknown) => e));
    expect(clock.pending).toBe(6);
    tracker.connected();
    const [id0, id1] = sent.map((f) => f.id) as [string, string];
    tracker.handleResponse(ok(id0, { events: [], nextCursor: 0, hasMore: false }));
    tracker.handleResponse(failed(id1, ErrorCode.FORBIDDEN, 'no'));
    ctrl.abort();
    clock.advance(10);
    tracker.disconnected();
    expect(tracker.pending).toBe(1);
    tracker.closed(ErrorCode.CLOSED);
    const outcomes = await Promise.all(all);
    expect(outcomes.map((o) => (ParleyError.is(o) ? o.code : 'ok'))).toEqual([
      'ok',
      ErrorCode.FORBIDDEN,
      ErrorCode.OUTCOME_UNKNOWN,
      ErrorCode.ABORTED,
      ErrorCode.REQUEST_TIMEOUT,
      ErrorCode.CLOSED,
    ]);
    expect(tracker.pending).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
