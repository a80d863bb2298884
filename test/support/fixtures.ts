/** Small builders shared by the server suites: fresh ids, text content, a group of fresh users. */
import { randomUUID } from 'node:crypto';
import type { ConversationInfo, Message, TextContent } from '../../schema';
import type { LoggedIn, LoginOptions, TestServer } from './server';
import type { WireClient } from './wireClient';

/** A fresh id, so tests sharing a server never share users or conversations. */
export const uid = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export const text = (t: string): TextContent => ({ type: 'text', text: t });

export const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);

/**
 * A supplier (the owner) and one fresh user per entry of `members` (a distributor unless its
 * options say otherwise: only a shop's agents may put customers in a group), logged in before the
 * group is created (authenticating is what makes a user known), then a group of all of them.
 */
export async function setupGroup(
  srv: TestServer,
  members: LoginOptions[],
  ownerOpts: LoginOptions = {},
): Promise<{ owner: LoggedIn; members: LoggedIn[]; conversation: ConversationInfo }> {
  const owner = await srv.login(uid('sup'), { role: 'supplier', ...ownerOpts });
  const logged = await Promise.all(members.map((opts, i) => srv.login(uid(`m${i}`), { role: 'distributor', ...opts })));
  const { conversation } = await owner.call('conversations.create', {
    kind: 'group',
    title: uid('group'),
    memberIds: logged.map((m) => m.userId),
  });
  return { owner, members: logged, conversation };
}

/** Send a text message and return the stored message. */
export async function sendText(
  client: WireClient,
  conversationId: string,
  body: string,
  clientId: string = randomUUID(),
): Promise<Message> {
  const { message } = await client.call('messages.send', { conversationId, clientId, content: text(body) });
  return message;
}

/**
 * The value of a series in Prometheus text, or undefined when absent: the one with exactly
 * `labels` (as rendered, e.g. 'result="stored"'), else the first series of that name.
 */
export function metricValue(exposition: string, name: string, labels?: string): number | undefined {
  const line = exposition
    .split('\n')
    .find((l) => (labels ? l.startsWith(`${name}{${labels}} `) : l.startsWith(`${name} `) || l.startsWith(`${name}{`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
