/**
 * The versioning rule (schema/version.ts): a server keeps speaking the protocol of the release
 * before it, so a client one minor version behind the server still works. Here a whole session in
 * the previous protocol's frames against this server: auth, a conversation with the shop, a send
 * and its push both ways, and a reconnect from its cursor.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '../../schema';
import { uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';
import { isPush, messagePush } from '../support/wireClient';

const PREVIOUS = PROTOCOL_VERSION - 1;
const text = (t: string) => ({ type: 'text', text: t });

describe(`a client of the previous protocol (${PREVIOUS}) against this server (${PROTOCOL_VERSION})`, () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv?.stop());

  it('is still spoken', () => {
    expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(PROTOCOL_VERSION);
    expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(PREVIOUS);
  });

  it('authenticates, sends and receives, acks, and resumes after a reconnect from its cursor with nothing at or below it replayed', async () => {
    const customerId = uid('cust');
    const agent = await srv.login('shop-agent', { role: 'merchant', shop: 'parley-shop', v: PREVIOUS, deviceId: uid('agent-dev') });
    const customer = await srv.login(customerId, { v: PREVIOUS, deviceId: 'old-phone' });
    expect(customer.auth).toMatchObject({ t: 'auth_ok', userId: customerId });

    const { conversation } = await customer.call('conversations.create', { kind: 'direct', shopId: 'parley-shop' });
    const asked = randomUUID();
    await customer.call('messages.send', { conversationId: conversation.id, clientId: asked, content: text('Do you ship abroad?') });
    await agent.nextFrame(messagePush(asked));
    const answered = randomUUID();
    await agent.call('messages.send', { conversationId: conversation.id, clientId: answered, content: text('Yes, worldwide.') });
    const answer = await customer.nextFrame(messagePush(answered));
    expect(answer.event.kind === 'message' && answer.event.message.content).toEqual(text('Yes, worldwide.'));

    // A reconnect from the cursor it holds is replayed nothing at or below it.
    const cursor = customer.frames.filter(isPush).at(-1)!.cursor;
    expect(customer.lastAcked).toBe(cursor); // the wire client acks each push, as the engine does
    await customer.close();
    const again = await srv.login(customerId, { v: PREVIOUS, deviceId: 'old-phone', cursor });
    const later = randomUUID();
    await agent.call('messages.send', { conversationId: conversation.id, clientId: later, content: text('Anything else?') });
    await again.nextFrame(messagePush(later));
    expect(again.frames.filter(isPush).every((p) => p.cursor > cursor)).toBe(true);
  });
});
