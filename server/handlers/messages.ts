import { contentBytes, ErrorCode, MAX_CONTENT_BYTES, ParleyError, RESERVED_CONTENT_TYPES, Role, type Content, type Message, type RequestResult } from '../../schema';
import type { SendInput } from '../store/Store';
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

/**
 * In order, each like send, all in one commit; stops at the first failure so nothing stored
 * follows what was not.
 */
export const sendBatch: Handler<'messages.sendBatch'> = async (ctx, p) => {
  await requireParty(ctx, p.conversationId);
  if (!ctx.takeMessages(p.messages.length)) throw new ParleyError(ErrorCode.RATE_LIMITED, 'too many messages; slow down');
  // Checked before anything is stored: the batch is cut at the first message too large to store.
  const inputs: SendInput[] = [];
  let tooLarge: ParleyError | null = null;
  for (const m of p.messages) {
    tooLarge = sizeError(m.content);
    if (tooLarge) break;
    inputs.push(sendInput(ctx, p.conversationId, m.clientId, m.content, p.echo));
  }
  const outcomes = inputs.length > 0 ? await ctx.deps.store.sendBatch(inputs) : [];
  if (outcomes.some((o) => o.kind === 'stored')) ctx.deps.desk.customerWrote(ctx.identity, p.conversationId);
  const results: RequestResult<'messages.sendBatch'>['results'] = [];
  let stored = 0;
  for (const outcome of outcomes) {
    if (outcome.kind === 'conflict') {
      results.push({ ok: false, error: { code: ErrorCode.CONFLICT, message: CONFLICT_MESSAGE } });
      return answer(ctx, stored, { results });
    }
    if (outcome.kind === 'stored') stored++;
    results.push({ ok: true, message: outcome.message, duplicate: outcome.kind === 'duplicate' });
  }
  if (tooLarge) results.push({ ok: false, error: { code: tooLarge.code, message: tooLarge.message } });
  return answer(ctx, stored, { results });
};

/** The sender's own message, within the window for their role: see `messages.recall` in the schema. */
export const recall: Handler<'messages.recall'> = async (ctx, p) => {
  await requireParty(ctx, p.conversationId);
  const { recallWindows } = ctx.deps;
  const windowMs = ctx.identity.role === Role.MERCHANT ? recallWindows.agentMs : recallWindows.otherMs;
  const outcome = await ctx.deps.store.recall({ sender: ctx.identity, conversationId: p.conversationId, messageId: p.messageId, windowMs });
  switch (outcome.kind) {
    case 'not_found':
      throw new ParleyError(ErrorCode.NOT_FOUND, 'you sent no such message in this conversation');
    case 'too_late':
      throw new ParleyError(ErrorCode.RECALL_WINDOW_PASSED, `a message can be recalled within ${Math.round(windowMs / 1000)} s of sending`);
    case 'already':
      return { message: outcome.message };
    case 'recalled':
      await ctx.deps.published();
      return { message: outcome.message };
  }
};

const CONFLICT_MESSAGE = 'this client id was already used for another conversation';

/** Why this content cannot be stored (too large, or a type only the server or a device sets), or null. */
function sizeError(content: Content): ParleyError | null {
  if (RESERVED_CONTENT_TYPES.includes(content.type)) return new ParleyError(ErrorCode.INVALID_PARAMS, `content type ${content.type} cannot be sent`);
  const bytes = contentBytes(content);
  return bytes > MAX_CONTENT_BYTES ? new ParleyError(ErrorCode.PAYLOAD_TOO_LARGE, `content is ${bytes} bytes; the limit is ${MAX_CONTENT_BYTES}`) : null;
}

function sendInput(ctx: RequestContext, conversationId: string, clientId: string, content: Content, echo: boolean | undefined): SendInput {
  // The origin is recorded only when the sender asked not to be echoed: Delivery skips pushing it back.
  const origin = echo === false ? { deviceId: ctx.deviceId } : {};
  return { sender: ctx.identity, ...origin, conversationId, clientId, content };
}

/** Counts what was stored; once anything was, answers only after its events are on their way (they went to the hub at commit, in commit order). */
async function answer<T>(ctx: RequestContext, stored: number, result: T): Promise<T> {
  if (stored > 0) {
    ctx.deps.metrics.messagesStored.inc(stored);
    await ctx.deps.published();
  }
  return result;
}

async function storeOne(
  ctx: RequestContext,
  conversationId: string,
  clientId: string,
  content: Content,
  echo: boolean | undefined,
): Promise<{ message: Message; duplicate: boolean }> {
  const tooLarge = sizeError(content);
  if (tooLarge) throw tooLarge;
  const outcome = await ctx.deps.store.send(sendInput(ctx, conversationId, clientId, content, echo));
  if (outcome.kind === 'stored') ctx.deps.desk.customerWrote(ctx.identity, conversationId);
  switch (outcome.kind) {
    case 'conflict':
      throw new ParleyError(ErrorCode.CONFLICT, CONFLICT_MESSAGE);
    case 'duplicate':
      return { message: outcome.message, duplicate: true };
    case 'stored':
      return answer(ctx, 1, { message: outcome.message, duplicate: false });
  }
}
