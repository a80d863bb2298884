/**
 * A watch's first result and the watch() reply travel on two ports with no order between them.
 * The tab must not drop a result that arrives before it knows the watch's id.
 */
import { describe, expect, it } from 'vitest';
import { ParleyClient } from '../../../client/ParleyClient';
import type { Link, LinkSink } from '../../../client/links/Link';
import type { LocalMessage } from '../../../worker/store/types';

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

const page = (conversationId: string, text: string) => ({
  kind: 'messages' as const,
  conversationId,
  messages: [{ id: 'm1', content: { type: 'text', text } } as unknown as LocalMessage],
});

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
});
