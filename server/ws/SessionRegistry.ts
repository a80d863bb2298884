/**
 * Who is connected to this node, by user, and the multi-device policy applied when someone
 * authenticates. With several nodes each session also holds a claim (SessionDirectory): the newest
 * claim wins, here and on the other nodes, whatever order the sessions reach the registry in.
 */
import { KickReason } from '../../schema';
import type { Fence } from '../cluster/fence';
import type { LocalSessions } from '../cluster/ClusterSessions';
import type { SessionPolicy } from '../config';

export interface RegisteredSession {
  readonly userId: string;
  readonly deviceId: string;
  /** The session's claim, on a cluster; null on a single node. */
  readonly fence: Fence | null;
  kick(reason: KickReason, message: string): void;
}

const kickReason = (older: RegisteredSession, newerDevice: string): [KickReason, string] =>
  older.deviceId === newerDevice
    ? [KickReason.REPLACED, 'a newer connection from this device replaced this one']
    : [KickReason.LOGGED_IN_ELSEWHERE, 'this account logged in on another device'];

export class SessionRegistry<S extends RegisteredSession = RegisteredSession> implements LocalSessions {
  private readonly byUser = new Map<string, Set<S>>();
  /**
   * The user each session was added under: a session that closed no longer names its user (its
   * userId reads ''), and removing it by that name left it here for good.
   */
  private readonly userOf = new Map<S, string>();

  constructor(private readonly policy: SessionPolicy) {}

  /**
   * Add a freshly authenticated session. The same device connecting again replaces its older
   * socket (which is dead or half-open); under 'single', other devices of the user are kicked. If a
   * session here holds a newer claim than this one (two logins raced), this one is kicked instead
   * and not added: returns false.
   */
  add(session: S): boolean {
    const existing = this.byUser.get(session.userId) ?? new Set<S>();
    const rivals = [...existing].filter((other) => other.deviceId === session.deviceId || this.policy === 'single');
    const newer = rivals.find((other) => other.fence && session.fence && other.fence.epoch > session.fence.epoch && other.fence.scope === session.fence.scope);
    if (newer) {
      session.kick(...kickReason(session, newer.deviceId));
      return false;
    }
    for (const other of rivals) other.kick(...kickReason(other, session.deviceId));
    existing.add(session);
    this.byUser.set(session.userId, existing);
    this.userOf.set(session, session.userId);
    return true;
  }

  remove(session: S): void {
    const userId = this.userOf.get(session);
    if (userId === undefined) return;
    this.userOf.delete(session);
    const set = this.byUser.get(userId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.byUser.delete(userId);
  }

  /** A claim was made (on any node): kick this node's sessions of that slot holding an older one. */
  supersede(claim: Fence & { deviceId: string }): void {
    for (const s of [...(this.byUser.get(claim.userId) ?? [])]) {
      if (s.fence && s.fence.scope === claim.scope && s.fence.epoch < claim.epoch) s.kick(...kickReason(s, claim.deviceId));
    }
  }

  /** This node's sessions of a user. */
  sessionsOf(userId: string): Iterable<S> {
    return this.byUser.get(userId) ?? [];
  }

  userIds(): string[] {
    return [...this.byUser.keys()];
  }

  all(): S[] {
    return [...this.byUser.values()].flatMap((s) => [...s]);
  }
}
