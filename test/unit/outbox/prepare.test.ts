/**
 * The outbox with a prepare step (a media message's uploads): the message is sent only with what
 * prepare returns, a failing upload counts as a failed attempt (retried with backoff, or failed for
 * good), and the conversation's later messages wait behind it.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError, type Content } from '../../../schema';
import { enqueueText, ME } from '../store/harness';
import { setupRunner } from './harness';

const setup = (prepare: (content: Content) => Promise<Content>) =>
  setupRunner({ prepare: (item) => prepare(item.content), ready: () => false });

describe('OutboxRunner with a prepare step', () => {
  it('sends what prepare returns, in order, the next message waiting for the one uploading', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const prepared: string[] = [];
    let photoStarted!: () => void;
    const started = new Promise<void>((r) => (photoStarted = r));
    const s = await setup(async (c) => {
      const t = (c as { text: string }).text;
      prepared.push(t);
      if (t === 'photo') {
        photoStarted();
        await gate;
      }
      return { type: 'text', text: `${t}!` };
    });
    await enqueueText(s.o, 'photo');
    await enqueueText(s.o, 'caption');
    s.runner.kick();
    await started;
    expect(prepared).toEqual(['photo']); // "caption" waits behind the uploading "photo"
    const both = Promise.all([s.attemptDone(), s.attemptDone()]);
    release();
    await both;
    expect(s.server.map((m) => m.content)).toEqual([
      { type: 'text', text: 'photo!' },
      { type: 'text', text: 'caption!' },
    ]);
    s.runner.close();
  });

  it('retries a retryable upload failure after a backoff, and fails a permanent one with its code', async () => {
    let calls = 0;
    const s = await setup(async (c) => {
      calls++;
      if ((c as { text: string }).text === 'forbidden') throw new ParleyError(ErrorCode.FORBIDDEN, 'upload: not a member');
      if (calls === 1) throw new ParleyError(ErrorCode.DISCONNECTED, 'upload: the network failed');
      return c;
    });
    const flaky = await enqueueText(s.o, 'flaky');
    let done = s.attemptDone();
    s.runner.kick();
    await done;
    expect(s.server).toEqual([]);
    expect((await s.o.store.message(ME, flaky.id))!).toMatchObject({ state: 'pending', error: { code: ErrorCode.DISCONNECTED } });
    done = s.attemptDone();
    s.fake.clock.advance(3_000); // past the first backoff (1 s ± 30 %) and the retry poll
    await done;
    expect(s.server.map((m) => m.content)).toEqual([{ type: 'text', text: 'flaky' }]);

    const refused = await enqueueText(s.o, 'forbidden');
    done = s.attemptDone();
    s.runner.kick();
    await done;
    expect(await s.o.store.message(ME, refused.id)).toMatchObject({ state: 'failed', error: { code: ErrorCode.FORBIDDEN } });
    s.runner.close();
  });
});
