/**
 * What happened during a chaos run, as the clients saw it: every send() call and its outcome, every
 * live-query result each device delivered (reduced to per-message state histories), and notable
 * engine events. Anomalies a single observation proves (a state going back, a message shown twice)
 * are recorded as they are seen; the rest is for the final check (checker.ts).
 */
import type { LocalMessage, MessageState } from '../../worker/store/types';
import type { DeviceObserver } from './device';
import type { Disruption, DisruptionKind } from './rejections';

export interface SendRecord {
  id: string;
  device: string;
  user: string;
  conversationId: string;
  text: string;
  /** Order of send() calls by this device in this conversation (0, 1, 2, ...). */
  index: number;
  calledAt: number;
  /** send() resolved: the message is stored locally as pending. */
  acknowledged: boolean;
  error?: string;
  /** Why send() rejected: the engine's error code, or null when no answer came (the call died with its tab or browser). */
  code?: string | null;
  /** When send() resolved or rejected. */
  settledAt?: number;
  /** send() failed in a way that leaves its outcome unknown (rejections.ts outcomeUnknown). */
  indeterminate?: boolean;
}

/** A recall() call on an own message, and how it ended. */
export interface RecallRecord {
  /** The message's id (its send's). */
  id: string;
  device: string;
  user: string;
  conversationId: string;
  text: string;
  /** resolved: the server recalled it; rejected: it may or may not have (the answer was lost); skipped: not sent yet, not called. */
  outcome: 'pending' | 'resolved' | 'rejected' | 'skipped';
  code?: string | null;
}

export interface Anomaly {
  kind: 'regression' | 'duplicate' | 'reordered' | 'lost' | 'stuck' | 'unexpected' | 'failed' | 'stale' | 'dropped' | 'rejected' | 'unrecalled';
  device?: string;
  id?: string;
  detail: string;
  /** Explained by a known bug (named here), not a new finding. */
  knownIssue?: string;
  /** For a stale state: the conversation, the seq a receipt had to reach, and whose receipt. */
  ref?: { conversationId: string; seq: number; by: 'self' | 'others' };
}

/** A message's text, by which the checker knows it (every chaos message is a unique text); other content as JSON. */
export function contentText(content: unknown): string {
  const c = content as { type?: string; text?: unknown };
  return c.type === 'text' && typeof c.text === 'string' ? c.text : JSON.stringify(c);
}

export const isRecalled = (content: unknown): boolean => (content as { type?: unknown })?.type === 'recalled';

/** A recalled message has no text left: it is known by its identity instead. */
const textOf = (m: LocalMessage): string => (isRecalled(m.content) ? `recalled ${m.senderId}/${m.id}` : contentText(m.content));

/** Own messages only move forward: pending/failed (0) → sent (1) → delivered (2) → read (3). */
const RANK: Record<MessageState, number> = { pending: 0, failed: 0, sent: 1, delivered: 2, read: 3, received: -1 };

interface Seen {
  state: MessageState;
  rank: number;
  seq: number | null;
  recalled: boolean;
}

export class History implements DeviceObserver {
  readonly sends = new Map<string, SendRecord>();
  /** recall() calls, by message id. */
  readonly recalls = new Map<string, RecallRecord>();
  private readonly nextIndex = new Map<string, number>();
  /** device → message id → the furthest state seen. */
  private readonly seen = new Map<string, Map<string, Seen>>();
  /** Messages some device showed as failed, with the error code (only a resend moves them on). */
  readonly everFailed = new Map<string, string>();
  /** Messages the harness resent (as a user pressing Resend) at the end. */
  readonly resent = new Set<string>();
  readonly anomalies: Anomaly[] = [];
  private readonly anomalyKeys = new Set<string>();
  readonly events = new Map<string, number>();
  readonly eventLog: string[] = [];
  /** Live results delivered, in total. */
  observations = 0;
  /** When the schedule started (event log times are relative to it). */
  t0 = Date.now();
  /** device → push cursors its engines stored (the engine's `receive` events), over every reload. */
  readonly received = new Map<string, Set<number>>();
  /** Faults that interrupted a device's engine or storage: what may explain a send() rejecting. */
  readonly disruptions: Disruption[] = [];

  constructor(private readonly userOf: (device: string) => string) {}

  /** Record a send() call before it runs; returns the record to complete. */
  beginSend(device: string, conversationId: string, id: string, text: string): SendRecord {
    const key = `${device}/${conversationId}`;
    const index = this.nextIndex.get(key) ?? 0;
    this.nextIndex.set(key, index + 1);
    const r: SendRecord = { id, device, user: this.userOf(device), conversationId, text, index, calledAt: Date.now(), acknowledged: false };
    this.sends.set(id, r);
    return r;
  }

  beginRecall(send: SendRecord): RecallRecord {
    const r: RecallRecord = { id: send.id, device: send.device, user: send.user, conversationId: send.conversationId, text: send.text, outcome: 'pending' };
    this.recalls.set(send.id, r);
    return r;
  }

  pushStored(device: string, cursor: number): void {
    let set = this.received.get(device);
    if (!set) this.received.set(device, (set = new Set()));
    set.add(cursor);
  }

  disrupted(device: string, kind: DisruptionKind, from: number, to: number): void {
    this.disruptions.push({ device, kind, from, to });
  }

  event(device: string, kind: string, detail: string): void {
    this.events.set(kind, (this.events.get(kind) ?? 0) + 1);
    // The first line: Playwright's errors go on with a call log.
    if (this.eventLog.length < 200) this.eventLog.push(`${((Date.now() - this.t0) / 1000).toFixed(1)}s ${device} ${kind} ${detail.split('\n')[0]}`);
    if (kind === 'cursor_regression') this.add({ kind: 'regression', device, detail });
  }

  messages(device: string, conversationId: string, messages: LocalMessage[]): void {
    this.observations++;
    const me = this.userOf(device);
    let seen = this.seen.get(device);
    if (!seen) this.seen.set(device, (seen = new Map()));
    const ids = new Set<string>();
    const texts = new Set<string>();
    let lastSeq = 0;
    for (const m of messages) {
      const text = textOf(m);
      if (ids.has(`${m.senderId}/${m.id}`) || texts.has(text)) {
        this.add({ kind: 'duplicate', device, id: m.id, detail: `shown twice in ${conversationId}: ${text}` });
      }
      ids.add(`${m.senderId}/${m.id}`);
      texts.add(text);
      if (m.seq !== null) {
        if (m.seq <= lastSeq) this.add({ kind: 'reordered', device, id: m.id, detail: `seq ${m.seq} shown after seq ${lastSeq}` });
        lastSeq = m.seq;
      }
      if (m.state === 'failed') this.failed(m.id, m.error?.code ?? 'unknown');
      this.track(device, seen, m, m.senderId === me);
    }
  }

  private track(device: string, seen: Map<string, Seen>, m: LocalMessage, own: boolean): void {
    const prev = seen.get(m.id);
    const rank = RANK[m.state];
    if (!own && m.state !== 'received') {
      this.add({ kind: 'regression', device, id: m.id, detail: `another user's message in state ${m.state}` });
    }
    if (own && m.state === 'received') {
      this.add({ kind: 'regression', device, id: m.id, detail: 'own message in state received' });
    }
    if (prev) {
      if (prev.seq !== null && m.seq !== prev.seq) {
        this.add({ kind: 'regression', device, id: m.id, detail: `seq ${prev.seq} → ${m.seq}` });
      }
      if (rank < prev.rank) {
        this.add({ kind: 'regression', device, id: m.id, detail: `state ${prev.state} → ${m.state}` });
      }
      // failed → pending is the user's resend; anything else that returns to pending regressed above.
      if (prev.recalled && !isRecalled(m.content)) {
        this.add({ kind: 'regression', device, id: m.id, detail: 'a recalled message shown with its content again' });
      }
    }
    const recalled = isRecalled(m.content) || (prev?.recalled ?? false);
    if (!prev || rank > prev.rank || (rank === prev.rank && m.state !== prev.state) || (prev.seq === null && m.seq !== null) || recalled !== prev.recalled) {
      seen.set(m.id, { state: m.state, rank: Math.max(rank, prev?.rank ?? -1), seq: m.seq ?? prev?.seq ?? null, recalled });
    }
  }

  failed(id: string, code: string): void {
    if (!this.everFailed.has(id)) this.everFailed.set(id, code);
  }

  /** Record an anomaly once: the same one seen again (a live query re-run) is not counted twice. */
  add(a: Anomaly): void {
    const key = JSON.stringify([a.kind, a.device, a.id, a.detail]);
    if (this.anomalyKeys.has(key)) return;
    this.anomalyKeys.add(key);
    this.anomalies.push(a);
  }

  count(kind: Anomaly['kind']): number {
    return this.anomalies.filter((a) => a.kind === kind).length;
  }
}
