import { contentBytes, ErrorCode, MAX_CONTENT_BYTES, ParleyError, type Content, type Message, type RequestResult } from '../../schema';
import { requireParty, type Handler, type RequestContext } from './context';

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
  await requireParty(ctx, p.conversationId);
  if (!ctx.takeMessages(1)) throw new ParleyError(ErrorCode.RATE_LIMITED, 'too many messages; slow down');
  return storeOne(ctx, p.conversationId, p.clientId, p.content, p.echo);
};

/** In order, each like send; stops at the first failure so nothing stored follows what was not. */
export const sendBatch: Handler<'messages.sendBatch'> = async (ctx, p) => {
  await requireParty(ctx, p.conversationId);
  if (!ctx.takeMessages(p.messages.length)) throw new ParleyError(ErrorCode.RATE_LIMITED, 'too many messages; slow down');
  const results: RequestResult<'messages.sendBatch'>['results'] = [];
  for (const m of p.messages) {
    try {
      results.push({ ok: true, ...(await storeOne(ctx, p.conversationId, m.clientId, m.content, p.echo)) });
    } catch (err) {
      if (!ParleyError.is(err)) throw err;
      results.push({ ok: false, error: { code: err.code, message: err.message } });
      break;
    }
  }
  return { results };
};

async function storeOne(
  ctx: RequestContext,
  conversationId: string,
  clientId: string,
  content: Content,
  echo: boolean | undefined,
): Promise<{ message: Message; duplicate: boolean }> {
  const { store, published, metrics } = ctx.deps;
  const bytes = contentBytes(content);
  if (bytes > MAX_CONTENT_BYTES) {
    throw new ParleyError(ErrorCode.PAYLOAD_TOO_LARGE, `content is ${bytes} bytes; the limit is ${MAX_CONTENT_BYTES}`);
  }
  // The origin is recorded only when the sender asked not to be echoed: Delivery skips pushing it back.
  const origin = echo === false ? { deviceId: ctx.deviceId } : {};
  const outcome = await store.send({ sender: ctx.identity, ...origin, conversationId, clientId, content });
  switch (outcome.kind) {
    case 'conflict':
      throw new ParleyError(ErrorCode.CONFLICT, 'this client id was already used for another conversation');
    case 'duplicate':
      return { message: outcome.message, duplicate: true };
    case 'stored':
      metrics.messagesStored.inc();
      // Its events went to the hub at commit, in commit order; answer once they are on their way.
      await published();
      return { message: outcome.message, duplicate: false };
  }
}
