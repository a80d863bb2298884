/**
 * A watch's first result and the watch() reply travel on two ports with no order between them.
 * The tab must not drop a result that arrives before it knows the watch's id.
 */
import { describe, expect, it } from 'vitest';
import { ParleyClient } from '../../../client/ParleyClient';
import type { Link, LinkSink } from '../../../client/links/Link';
import type { LiveUpdate, LocalMessage } from '../../../worker/protocol';

function fakeEngine(onWatch: (sink: LinkSink, reply: (id: string) => void) => void) {
  let sink!: LinkSink;
  const link: Link = {
    kind: 'shared-worker',
    engineChanges: 0,
    invoke: (method) =>
      new Promise((resolve) => {
        if (method === 'watch') onWatch(sink, (id) => resolve({ ok: true, value: id } as never));
        else resolve({ ok: true, value: null } as never);
      }),
    close: () => {},
  };
  return (s: LinkSink) => ((sink = s), Promise.resolve(link));
}

const row = (id: string, text: string) => ({ id, senderId: 'bob', content: { type: 'text', text } }) as unknown as LocalMessage;

const page = (conversationId: string, text: string): LiveUpdate => ({
  type: 'result',
  result: { kind: 'messages', conversationId, messages: [row('m1', text)] },
});

const patch = (upsert: LocalMessage[], remove: string[] = []): LiveUpdate => ({ type: 'patch', patch: { upsert, remove } });

describe('ParleyClient live results', () => {
  it('delivers a first result that arrives before the watch() reply', async () => {
    const open = fakeEngine((sink, reply) => {
      sink.onLive('w1', page('c1', 'early'));
      reply('w1');
    });
    const client = await ParleyClient.create(open, { imageWorkerUrl: '/x.js' });
    const seen = await new Promise<string[]>((resolve) =>
      client.watchMessages('c1', (ms) => resolve(ms.map((m) => (m.content as { text: string }).text))),
    );
    expect(seen).toEqual(['early']);
    client.close();
  });

  it('delivers results in order when the reply comes first', async () => {
    let sinkRef!: LinkSink;
    const open = fakeEngine((sink, reply) => {
      sinkRef = sink;
      reply('w2');
    });
    const client = await ParleyClient.create(open, { imageWorkerUrl: '/x.js' });
    const seen: string[] = [];
    client.watchMessages('c1', (ms) => seen.push((ms[0]!.content as { text: string }).text));
    await new Promise((r) => setTimeout(r, 0));
    sinkRef.onLive('w2', page('c1', 'one'));
    sinkRef.onLive('w2', page('c1', 'two'));
    sinkRef.onLive('other', page('c9', 'not mine'));
    expect(seen).toEqual(['one', 'two']);
    client.close();
  });

  it('applies patches to the result it holds: untouched rows stay the same objects', async () => {
    let sinkRef!: LinkSink;
    const open = fakeEngine((sink, reply) => {
      sinkRef = sink;
      reply('w3');
    });
    const client = await ParleyClient.create(open, { imageWorkerUrl: '/x.js' });
    const seen: LocalMessage[][] = [];
    client.watchMessages('c1', (ms) => seen.push(ms));
    await new Promise((r) => setTimeout(r, 0));
    sinkRef.onLive('w3', { type: 'result', result: { kind: 'messages', conversationId: 'c1', messages: [row('m1', 'one'), row('m2', 'two')] } });
    sinkRef.onLive('w3', patch([row('m2', 'two, edited'), row('m3', 'three')]));
    sinkRef.onLive('w3', patch([], ['bob\u0000m1']));
    expect(seen.map((ms) => ms.map((m) => (m.content as { text: string }).text))).toEqual([
      ['one', 'two'],
      ['one', 'two, edited', 'three'],
      ['two, edited', 'three'],
    ]);
    expect(seen[1]![0]).toBe(seen[0]![0]);
    expect(seen[2]![0]).toBe(seen[1]![1]);
    client.close();
  });

  it('keeps patches that arrive before the watch() reply, applied to the early result', async () => {
    const open = fakeEngine((sink, reply) => {
      sink.onLive('w4', page('c1', 'early'));
      sink.onLive('w4', patch([row('m2', 'then')]));
      reply('w4');
    });
    const client = await ParleyClient.create(open, { imageWorkerUrl: '/x.js' });
    const seen = await new Promise<string[]>((resolve) =>
      client.watchMessages('c1', (ms) => resolve(ms.map((m) => (m.content as { text: string }).text))),
    );
    expect(seen).toEqual(['early', 'then']);
    client.close();
  });
});
