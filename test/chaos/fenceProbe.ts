/**
 * A write from a fenced session, tried on purpose at every node pause. Before the node stops, a probe
 * customer logs in on it. While it is stopped, the same device logs in on another node (a newer claim
 * of the same session slot, whose kick the stopped node cannot hear), and the old socket sends a
 * write, which the kernel buffers until the node runs again. Resumed, the node may handle that frame
 * before the kick reaches it: only the fence (the claim checked in the write's transaction) stands
 * in the way.
 *
 * The write opens the probe customer's direct conversation with the shop, and the probe writes
 * nothing else: a probe conversation on the server is a write accepted from a fenced session. The
 * checker counts those from the database (`acceptedFencedWrites`); the outcomes the old socket saw
 * say how each attempt was stopped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SHOP } from './schedule';
import { connectClient, type WireClient } from '../support/wireClient';
import { makeToken, TEST_SECRET } from '../support/server';

/** Probe users' ids begin with this; none of the run's own users does. */
const FENCE_PROBE_PREFIX = 'fence-probe-';

/** How long the old socket is watched after the node resumes. */
const OUTCOME_MS = 10_000;

/** How an attempt ended on the old socket. */
export type ProbeOutcome =
  /** The socket closed (kicked, fenced, or idle) and the write was never answered. */
  | 'closed'
  /** Answered with an error. */
  | 'refused'
  /** Answered with success: the fence let it through (the database count says the same). */
  | 'answered'
  /** Neither answered nor closed within OUTCOME_MS of the node resuming. */
  | 'unanswered'
  /** The probe could not be set up (a node down, a login that failed): no write was tried. */
  | 'not-tried';

export class FenceProbe {
  readonly outcomes: Record<ProbeOutcome, number> = { closed: 0, refused: 0, answered: 0, unanswered: 0, 'not-tried': 0 };
  /**
   * Probe users whose write was sent and whose session was then superseded: a conversation of one of
   * them is a write accepted from a fenced session. A probe whose newer login failed is left out
   * (its write, if handled, came from a session nothing superseded).
   */
  readonly superseded: string[] = [];
  private n = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly log: (line: string) => void) {}

  /**
   * Log a probe in on `port` (the node about to stop); returns the session to supersede once the
   * node is stopped, or null if the login failed.
   */
  async before(port: number): Promise<StaleSession | null> {
    const user = `${FENCE_PROBE_PREFIX}${++this.n}`;
    const token = makeToken(TEST_SECRET, user, { role: 'customer' });
    const old = connectClient(`ws://127.0.0.1:${port}/ws`, { token, deviceId: 'probe' });
    const auth = await old.authResult.catch(() => null);
    if (auth?.t !== 'auth_ok') {
      void old.close();
      this.outcomes['not-tried']++;
      return null;
    }
    return new StaleSession(token, old, {
      superseded: () => this.superseded.push(user),
      ended: (outcome) => this.track(outcome, user),
    });
  }

  /** Wait for every attempt's outcome (bounded by OUTCOME_MS each). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(outcome: Promise<ProbeOutcome>, user: string): void {
    const done = outcome.then((o) => {
      this.outcomes[o]++;
      if (o === 'answered') this.log(`fence probe ${user}: a superseded session's write was answered`);
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }
}

interface StaleSessionEvents {
  /** The write was sent and a newer login of the same slot then succeeded. */
  superseded(): void;
  /** How the attempt ended on the old socket (resolves within OUTCOME_MS of the resume). */
  ended(outcome: Promise<ProbeOutcome>): void;
}

export class StaleSession {
  private newer: WireClient | null = null;
  /** The old socket's answer to the write: null when it closed first; absent until a probe is made. */
  private answer: Promise<'refused' | 'answered' | null> | null = null;

  constructor(
    private readonly token: string,
    private readonly old: WireClient,
    private readonly events: StaleSessionEvents,
  ) {}

  /**
   * With the old node stopped: the old socket sends its write, then the same device logs in on
   * `port` (a live node). In that order the write is in the stopped node's socket buffer before
   * the kick is in its broker connection's, so once resumed the node reads the write first (its
   * poll hands out sockets in the order they became readable) and only the fence can refuse it.
   */
  async supersede(port: number): Promise<void> {
    const answer = this.write();
    this.newer = connectClient(`ws://127.0.0.1:${port}/ws`, { token: this.token, deviceId: 'probe' });
    const auth = await this.newer.authResult.catch(() => null);
    if (auth?.t !== 'auth_ok') return; // nothing superseded the old session: not a probe
    this.answer = answer;
    this.events.superseded();
  }

  private write(): Promise<'refused' | 'answered' | null> {
    try {
      // No bound of its own: the node is stopped for the episode; resumed() bounds the wait from there.
      return this.old.request('conversations.create', { kind: 'direct', shopId: SHOP }, 10 * 60_000).then(
        (res) => (res.ok ? 'answered' : 'refused'),
        () => null,
      );
    } catch {
      return Promise.resolve(null); // the old socket was already closed: nothing sent
    }
  }

  /** The old node runs again: watch the old socket's outcome in the background, then close both. */
  resumed(): void {
    const outcome = (async (): Promise<ProbeOutcome> => {
      if (!this.answer) return 'not-tried';
      const bound = new AbortController();
      const answered = await Promise.race([this.answer, sleep(OUTCOME_MS, 'unanswered' as const, { signal: bound.signal }).catch(() => null)]);
      bound.abort();
      return answered ?? 'closed';
    })();
    this.events.ended(
      outcome.finally(() => {
        void this.old.close();
        void this.newer?.close();
      }),
    );
  }
}
