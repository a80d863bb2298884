/**
 * The SessionDirectory of a cluster: claims are rows of `session_claims` in PostgreSQL, whose epoch a
 * claim bumps (the row lock orders racing logins), and a claim is announced on the broker so the
 * nodes holding older sessions kick them at once. A lost announcement (Redis down, a paused node) is
 * made up by the position check: every `checkMs` each node reads the claims of the users it holds and
 * kicks what was superseded. Until then the fence refuses the old session's writes.
 */
import type { Broker } from './Broker';
import type { Fence } from './fence';
import { slotScope, type SessionDirectory } from './SessionDirectory';

/** What the directory needs of this node's registry. */
export interface LocalSessions {
  /** Kick this node's sessions of `userId` in slot `scope` whose claim is older than `epoch`. */
  supersede(claim: Fence & { deviceId: string }): void;
  /** Users with a session on this node. */
  userIds(): string[];
}

export interface ClusterSessionsDeps {
  query: <R>(text: string, params?: readonly unknown[]) => Promise<R[]>;
  broker: Broker | null;
  /** The database's epoch id: names the channel, so clusters sharing a Redis stay apart. */
  databaseEpoch: string;
  policy: 'single' | 'multi';
  local: LocalSessions;
  now: () => number;
  /** How often claims of this node's users are checked (default 2 s): how long a lost kick can go unnoticed. */
  checkMs?: number;
  log?: (message: string) => void;
}

interface ClaimRow {
  user_id: string;
  scope: string;
  epoch: number;
  device_id: string;
}

export const kickChannel = (databaseEpoch: string): string => `parley:${databaseEpoch}:claims`;

export class ClusterSessions implements SessionDirectory {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly channel: string;

  constructor(private readonly deps: ClusterSessionsDeps) {
    this.channel = kickChannel(deps.databaseEpoch);
  }

  async start(): Promise<void> {
    await this.deps.broker?.subscribe(this.channel, (message) => this.heard(message));
    this.schedule();
  }

  async claim(userId: string, deviceId: string): Promise<Fence> {
    const scope = slotScope(this.deps.policy, deviceId);
    const [row] = await this.deps.query<{ epoch: number }>(
      `INSERT INTO session_claims (user_id, scope, epoch, device_id, claimed_at) VALUES ($1, $2, 1, $3, $4)
       ON CONFLICT (user_id, scope) DO UPDATE SET epoch = session_claims.epoch + 1, device_id = excluded.device_id, claimed_at = excluded.claimed_at
       RETURNING epoch`,
      [userId, scope, deviceId, this.deps.now()],
    );
    const fence = { userId, scope, epoch: row!.epoch };
    this.deps.broker?.publish(this.channel, JSON.stringify({ ...fence, deviceId }));
    return fence;
  }

  /** Read the claims of this node's users and kick whoever was superseded (a lost or late announcement). */
  async check(): Promise<void> {
    const users = this.deps.local.userIds();
    if (users.length === 0) return;
    const rows = await this.deps.query<ClaimRow>('SELECT user_id, scope, epoch, device_id FROM session_claims WHERE user_id = ANY($1::text[])', [users]);
    for (const r of rows) this.deps.local.supersede({ userId: r.user_id, scope: r.scope, epoch: r.epoch, deviceId: r.device_id });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private heard(message: string): void {
    try {
      const m = JSON.parse(message) as Fence & { deviceId: string };
      if (typeof m.userId !== 'string' || typeof m.scope !== 'string' || !Number.isSafeInteger(m.epoch) || typeof m.deviceId !== 'string') throw new Error('not a claim');
      this.deps.local.supersede(m);
    } catch (err) {
      this.deps.log?.(`sessions: dropped an announcement that does not parse (${String(err)})`);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.check()
        .catch((err: unknown) => this.deps.log?.(`sessions: claim check failed: ${String(err)}`))
        .finally(() => this.schedule());
    }, this.deps.checkMs ?? 2000);
    this.timer.unref();
  }
}
