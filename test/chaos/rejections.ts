/**
 * Every send() that rejected, matched to the fault that explains it. The workload only makes valid
 * sends, so the engine has two honest reasons to reject one: the storage is full (a quota episode
 * on that browser), or the engine or the call died under it (the browser killed, its SharedWorker
 * closed, the sending tab reloaded, the browser shut down to restart for a quota episode), and then
 * the outcome is unknown. Any other rejection, or one of these with no such fault on that device
 * at that time, is an anomaly: a spurious refusal that stored nothing would otherwise pass as
 * "refused". A fault's window is only as long as its harm: a kill explains the calls it cut, not
 * those made while the browser relaunched (they wait for it, and must then succeed).
 */
import { ErrorCode } from '../../schema';
import type { Anomaly, SendRecord } from './history';

/** A fault that interrupted one device's engine or storage, from when it struck until it was over (ms since the epoch). */
export interface Disruption {
  device: string;
  kind: DisruptionKind;
  from: number;
  to: number;
}

/**
 * - browser-kill: the browser SIGKILLed, until it was gone (not the relaunch);
 * - worker-close: the SharedWorker closed over CDP;
 * - tab-reload: a tab closed and opened again;
 * - quota-restart: the browser shut down for a quota episode, until it was gone;
 * - quota: the disk full, from the shutdown until the quota was freed.
 */
export type DisruptionKind = 'browser-kill' | 'worker-close' | 'tab-reload' | 'quota-restart' | 'quota';

/**
 * How long after a disruption ends a send called then may still fail of it: a tab hears that its
 * worker died when the worker's Web Lock is released, a moment after the close, and a call made
 * in between goes to the dead worker; a burst's sends reuse the tab they started on. The latest
 * seen in seed 55's runs: 0.6 s.
 */
export const EXPLAIN_MARGIN_MS = 2_000;

/**
 * A send whose outcome the caller cannot know: no answer came (`null`: the call died with its tab
 * or browser), the engine died during it, or the tab stopped waiting for it.
 */
export function outcomeUnknown(code: string | null): boolean {
  return code === null || code === ErrorCode.DISCONNECTED || code === ErrorCode.REQUEST_TIMEOUT;
}

/** The disruptions that can explain a rejection with this code; none for any other code. */
function explainers(code: string | null): readonly DisruptionKind[] {
  if (code === ErrorCode.STORAGE_FULL) return ['quota'];
  if (outcomeUnknown(code)) return ['browser-kill', 'worker-close', 'tab-reload', 'quota-restart'];
  return [];
}

/** The disruption of the send's device, of a kind that explains its code, that overlapped the call; null if none did. */
function explanation(s: SendRecord, disruptions: readonly Disruption[]): Disruption | null {
  const kinds = explainers(s.code ?? null);
  const settledAt = s.settledAt ?? Number.POSITIVE_INFINITY;
  return disruptions.find((d) => d.device === s.device && kinds.includes(d.kind) && d.from <= settledAt && s.calledAt <= d.to + EXPLAIN_MARGIN_MS) ?? null;
}

/** One `rejected` anomaly per send() that rejected with no fault to explain it. */
export function unexplainedRejections(sends: Iterable<SendRecord>, disruptions: readonly Disruption[]): Anomaly[] {
  const found: Anomaly[] = [];
  for (const s of sends) {
    if (s.acknowledged || s.error === undefined || explanation(s, disruptions)) continue;
    const why = s.code === null || s.code === undefined ? 'with no answer (the call died)' : `with ${s.code}`;
    found.push({ kind: 'rejected', device: s.device, id: s.id, detail: `send of "${s.text}" rejected ${why}, and no fault of ${s.device} explains it: ${s.error}` });
  }
  return found;
}
