/**
 * Whether a run's faults struck: a fault harness that silently applied nothing would otherwise
 * pass every check. The schedule says what was drawn; the nemesis and the browser devices count
 * what they applied, and the server's deaths say which crash points fired.
 */
import { BROWSER_DEVICES, type Action, type FaultKind } from './schedule';

/** Faults that end with the server's death: each one applied must have killed it. */
export const SERVER_KILLERS: readonly FaultKind[] = ['crash-receive', 'crash-commit', 'crash-respond', 'kill'];

/** Fault episodes the schedule drew, by kind, named as the run counts them (a browser device's crash is `browser-kill`). */
export function drawnFaults(schedule: readonly Action[]): Record<string, number> {
  const drawn: Record<string, number> = {};
  const add = (kind: string) => (drawn[kind] = (drawn[kind] ?? 0) + 1);
  for (const a of schedule) {
    if (a.kind === 'fault') add(a.fault.kind);
    else if (a.kind === 'browser') add(a.fault.kind);
    else if (a.kind === 'restart' && a.how === 'crash' && BROWSER_DEVICES.some((b) => b.id === a.device)) add('browser-kill');
  }
  return drawn;
}

export interface FaultRecord {
  /** Drawn by the schedule, by kind. */
  drawn: Record<string, number>;
  /** Applied, by kind. */
  faults: Record<string, number>;
  /** Server deaths by cause: a fault kind, or `unexpected (...)`. */
  serverDeaths: Record<string, number>;
}

/**
 * What went missing, one line each: a kind drawn but never applied (`mayMiss`: kinds a run may
 * rightly skip, e.g. freezing a tab that is already frozen), a server killer that never killed, a
 * death no fault caused. Empty when the faults struck as drawn.
 */
export function faultShortfalls(r: FaultRecord, mayMiss: readonly string[] = []): string[] {
  const missing: string[] = [];
  for (const [kind, n] of Object.entries(r.drawn)) {
    if (mayMiss.includes(kind)) continue;
    const applied = r.faults[kind] ?? 0;
    if (applied === 0) missing.push(`${kind}: drawn ${n}, never applied`);
    if ((SERVER_KILLERS as readonly string[]).includes(kind) && applied > 0 && !r.serverDeaths[kind]) {
      missing.push(`${kind}: applied ${applied}, the server never died of it`);
    }
  }
  for (const [cause, n] of Object.entries(r.serverDeaths)) {
    if (!(SERVER_KILLERS as readonly string[]).includes(cause)) missing.push(`server died ${n}× of ${cause}, which no fault caused`);
  }
  return missing;
}
