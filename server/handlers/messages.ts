import { contentBytes, ErrorCode, MAX_CONTENT_BYTES, ParleyError } from '../../schema';
import { requireParty, type Handler } from './context';

export const history: Handler<'messages.history'> = async (ctx, p) => {
  await requireParty(ctx, p.conversationId);
  return ctx.deps.store.history(p.conversationId, p.beforeSeq, p.limit);
};

export const range: Handler<'messages.range'> = async (ctx, p) => {
  await requireParty(ctx, p.conversationId);
  return ctx.deps.store.range(p.conversationId, p.afterSeq, p.limit);
};

/** Store once per (sender, clientId); retries get the first attempt's seq and time. */
export const send: Handler<'messages.send'> = async (ctx, p) => {
  const { store, publish, metrics } = ctx.deps;
  await requireParty(ctx, p.conversationId);
  const bytes = contentBytes(p.content);
  if (bytes > MAX_CONTENT_BYTES) {
    throw new ParleyError(ErrorCode.PAYLOAD_TOO_LARGE, `content is ${bytes} bytes; the limit is ${MAX_CONTENT_BYTES}`);
  }
  const outcome = await store.send({ sender: ctx.identity, conversationId: p.conversationId, clientId: p.clientId, content: p.content });
  switch (outcome.kind) {
    case 'conflict':
      throw new ParleyError(ErrorCode.CONFLICT, 'this client id was already used for another conversation');
    case 'duplicate':
      return { message: outcome.message, duplicate: true };
    case 'stored':
      metrics.messagesStored.inc();
      await publish(p.conversationId, outcome.cursor, { kind: 'message', message: outcome.message });
      for (const e of outcome.also) await publish(p.conversationId, e.cursor, e.event);
      return { message: outcome.message, duplicate: false };
  }
};
