import type { Handler } from './context';

/**
 * The device signs out: the socket closes after this answer. A device that wiped its database comes
 * back without a cursor, which makes it a new device starting at the head.
 */
export const signOut: Handler<'session.signOut'> = async (ctx) => {
  ctx.endAfterAnswer();
  return {};
};
