/**
 * Who holds a user's session slot, across nodes. Under the single-session policy a user has one slot
 * (scope '*'); under 'multi', one per device. Each authenticated session claims its slot; a claim
 * supersedes every older one, on any node: those sessions are kicked (SessionRegistry.supersede)
 * and their writes fenced (fence.ts).
 *
 * One node needs none of this: its registry sees every session, and kicks synchronously.
 */
import type { Fence } from './fence';

export interface SessionDirectory {
  /** Claim the slot for a session that just authenticated; resolves with the fence its writes carry (null: none needed). */
  claim(userId: string, deviceId: string): Promise<Fence | null>;
  close(): Promise<void>;
}

/** The slot a session claims under the policy. */
export const slotScope = (policy: 'single' | 'multi', deviceId: string): string => (policy === 'single' ? '*' : deviceId);

/** The single-node directory: nothing to claim, the registry is the whole truth. */
export const localSessions: SessionDirectory = {
  claim: async () => null,
  close: async () => {},
};
