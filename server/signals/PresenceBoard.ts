/**
 * Who is there, for presence: each user's connected devices on this node and their explicit status,
 * and what the other nodes report of theirs (PresenceGossip). A user is online (or away, when they
 * said so) while any device of theirs is connected anywhere; a shop is online while any agent is,
 * away while agents are connected but all away. Every change of a subject's state is reported once
 * to the listener (PresenceWatchers sends it on to the sockets watching that subject).
 */
import { PresenceState, type Presence } from '../../schema';

export type Status = typeof PresenceState.ONLINE | typeof PresenceState.AWAY;

/** Someone connected: a user, and the shop they are an agent of (null for everyone else). */
export interface PresenceHolder {
  userId: string;
  shopId: string | null;
}

/** A user's presence as one node holds it. */
export interface UserPresence {
  shopId: string | null;
  status: Status;
}

interface LocalUser extends UserPresence {
  sessions: number;
}

interface RemoteNode {
  heardAt: number;
  users: Map<string, UserPresence>;
}

const subjectKey = (kind: Presence['kind'], id: string): string => `${kind}:${id}`;

export class PresenceBoard {
  private readonly local = new Map<string, LocalUser>();
  private readonly remote = new Map<string, RemoteNode>();
  /** Each subject's last reported state; offline subjects are not kept. */
  private readonly reported = new Map<string, PresenceState>();
  private readonly changeListeners: ((changes: Presence[]) => void)[] = [];
  private readonly localListeners: ((userId: string, presence: UserPresence | null) => void)[] = [];

  /** `changes`: subjects whose state changed, with the new state. */
  onChange(listener: (changes: Presence[]) => void): void {
    this.changeListeners.push(listener);
  }

  /** This node's own view of a user changed (null: none of their devices is connected here). */
  onLocalChange(listener: (userId: string, presence: UserPresence | null) => void): void {
    this.localListeners.push(listener);
  }

  connected(holder: PresenceHolder): void {
    const user = this.local.get(holder.userId);
    if (user) user.sessions++;
    else this.local.set(holder.userId, { shopId: holder.shopId, status: PresenceState.ONLINE, sessions: 1 });
    this.localChanged(holder.userId, holder.shopId);
  }

  disconnected(holder: PresenceHolder): void {
    const user = this.local.get(holder.userId);
    if (!user) return;
    // The explicit status goes with the last device: someone who comes back is online again.
    if (--user.sessions <= 0) this.local.delete(holder.userId);
    this.localChanged(holder.userId, user.shopId);
  }

  /** The user said they are away (or back), on any device connected here. False when none is. */
  setStatus(userId: string, status: Status): boolean {
    const user = this.local.get(userId);
    if (!user) return false;
    if (user.status !== status) {
      user.status = status;
      this.localChanged(userId, user.shopId);
    }
    return true;
  }

  /** Everyone connected to this node (what a node tells the others). */
  localUsers(): [string, UserPresence][] {
    return [...this.local].map(([id, u]) => [id, { shopId: u.shopId, status: u.status }]);
  }

  /**
   * Another node's users. `full`: this is everything it holds, replacing what it said before;
   * otherwise these users only (null: gone from that node).
   */
  heard(node: string, users: [string, UserPresence | null][], full: boolean, now: number): void {
    let table = this.remote.get(node);
    if (!table) this.remote.set(node, (table = { heardAt: now, users: new Map() }));
    table.heardAt = now;
    const touched = new Set<string>();
    const shops = new Set<string>();
    const touch = (id: string, shopId: string | null | undefined) => {
      touched.add(id);
      if (shopId) shops.add(shopId);
    };
    if (full) {
      for (const [id, u] of table.users) touch(id, u.shopId);
      table.users.clear();
    }
    for (const [id, presence] of users) {
      touch(id, table.users.get(id)?.shopId);
      touch(id, presence?.shopId);
      if (presence) table.users.set(id, presence);
      else table.users.delete(id);
    }
    this.recompute(touched, shops);
  }

  /** Forget nodes not heard from since `before` (stopped, or cut off): their users go offline here. */
  expire(before: number): void {
    for (const [node, table] of this.remote) {
      if (table.heardAt >= before) continue;
      this.remote.delete(node);
      this.recompute(table.users.keys(), [...table.users.values()].flatMap((u) => (u.shopId ? [u.shopId] : [])));
    }
  }

  /** The shop a connected user is an agent of, as any node says; null for others and the absent. */
  shopOf(userId: string): string | null {
    const here = this.local.get(userId);
    if (here) return here.shopId;
    for (const t of this.remote.values()) {
      const u = t.users.get(userId);
      if (u) return u.shopId;
    }
    return null;
  }

  /** The shop's agents connected now (on any node) and not away. */
  onlineAgents(shopId: string): string[] {
    const ids = new Set<string>();
    for (const [id, u] of this.local) if (u.shopId === shopId && u.status === PresenceState.ONLINE) ids.add(id);
    for (const t of this.remote.values()) for (const [id, u] of t.users) if (u.shopId === shopId && u.status === PresenceState.ONLINE) ids.add(id);
    return [...ids];
  }

  stateOf(kind: Presence['kind'], id: string): PresenceState {
    return kind === 'user' ? this.userState(id) : this.shopState(id);
  }

  private userState(userId: string): PresenceState {
    const views = [this.local.get(userId), ...[...this.remote.values()].map((t) => t.users.get(userId))].filter((u) => u !== undefined);
    return combine(views.map((u) => u.status));
  }

  private shopState(shopId: string): PresenceState {
    const statuses: Status[] = [];
    for (const u of this.local.values()) if (u.shopId === shopId) statuses.push(u.status);
    for (const t of this.remote.values()) for (const u of t.users.values()) if (u.shopId === shopId) statuses.push(u.status);
    return combine(statuses);
  }

  private localChanged(userId: string, shopId: string | null): void {
    const user = this.local.get(userId);
    const presence = user ? { shopId: user.shopId, status: user.status } : null;
    for (const l of this.localListeners) l(userId, presence);
    this.recompute([userId], shopId ? [shopId] : []);
  }

  /** Report those of these users and shops whose state moved since last reported. */
  private recompute(userIds: Iterable<string>, shopIds: Iterable<string>): void {
    const changes: Presence[] = [];
    const check = (kind: Presence['kind'], id: string) => {
      const key = subjectKey(kind, id);
      const state = this.stateOf(kind, id);
      if ((this.reported.get(key) ?? PresenceState.OFFLINE) === state) return;
      if (state === PresenceState.OFFLINE) this.reported.delete(key);
      else this.reported.set(key, state);
      changes.push({ id, kind, state });
    };
    for (const id of new Set(userIds)) check('user', id);
    for (const id of new Set(shopIds)) check('shop', id);
    if (changes.length > 0) for (const l of this.changeListeners) l(changes);
  }
}

/** Online beats away beats offline. */
function combine(statuses: Status[]): PresenceState {
  if (statuses.includes(PresenceState.ONLINE)) return PresenceState.ONLINE;
  return statuses.length > 0 ? PresenceState.AWAY : PresenceState.OFFLINE;
}
