/** Who is connected, by user, and the multi-device policy applied when someone authenticates. */
import { KickReason } from '../../schema';
import type { SessionPolicy } from '../config';

export interface RegisteredSession {
  readonly userId: string;
  readonly deviceId: string;
  kick(reason: KickReason, message: string): void;
}

export class SessionRegistry<S extends RegisteredSession = RegisteredSession> {
  private readonly byUser = new Map<string, Set<S>>();

  constructor(private readonly policy: SessionPolicy) {}

  /**
   * Add a freshly authenticated session. The same device connecting again replaces its older
   * socket (which is dead or half-open); under 'single', other devices of the user are kicked.
   */
  add(session: S): void {
    const existing = this.byUser.get(session.userId) ?? new Set<S>();
    for (const other of [...existing]) {
      if (other.deviceId === session.deviceId) {
        other.kick(KickReason.REPLACED, 'a newer connection from this device replaced this one');
      } else if (this.policy === 'single') {
        other.kick(KickReason.LOGGED_IN_ELSEWHERE, 'this account logged in on another device');
      }
    }
    existing.add(session);
    this.byUser.set(session.userId, existing);
  }

  remove(session: S): void {
    const set = this.byUser.get(session.userId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.byUser.delete(session.userId);
  }

  all(): S[] {
    return [...this.byUser.values()].flatMap((s) => [...s]);
  }
}
