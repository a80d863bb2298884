/**
 * A tab's line to the engine, wherever the engine runs: a SharedWorker, or (fallback) a dedicated
 * Worker in the leader tab reached directly or over a BroadcastChannel. Every call is bounded in
 * time by the link itself.
 */
import { ParleyError } from '../../schema/errors';
import type { AttachResult, EngineApi, EngineEvent, LiveUpdate, Settled } from '../../worker/protocol';

/** A settled call's value, or its failure as a ParleyError (KEY_REJECTED keeps its `details`). */
export function valueOrThrow<T>(settled: Settled<T>): T {
  if (!settled.ok) throw new ParleyError(settled.error.code, settled.error.message, { details: settled.error.details });
  return settled.value;
}

/** What a tab hears right after attaching: the state, and the storage (encrypted, rebuilt). */
export function eventsOnAttach(attached: AttachResult): EngineEvent[] {
  return [
    { type: 'state', state: attached.state },
    { type: 'storage', durability: attached.durability, encrypted: attached.encrypted, rebuilt: attached.rebuilt },
  ];
}

/** The engine methods a tab may call (attach and detach belong to the link itself). */
export type EngineMethod = Exclude<keyof EngineApi, 'attach' | 'detach'>;
export type EngineReturn<M extends EngineMethod> = Awaited<ReturnType<EngineApi[M]>>;

export interface Link {
  readonly kind: 'shared-worker' | 'leader' | 'follower';
  /**
   * How many times this link has started reaching a different engine (a new leader tab). A call
   * that failed after this changed may have been lost with the old engine. A link that is replaced
   * instead when its engine dies (a SharedWorker's) stays at 0.
   */
  readonly engineChanges: number;
  invoke<M extends EngineMethod>(method: M, args: Parameters<EngineApi[M]>, timeoutMs: number): Promise<EngineReturn<M>>;
  close(): void;
}

/** What a link reports to the client that owns it. */
export interface LinkSink {
  onEvent(event: EngineEvent): void;
  /** A live query's update: its whole result, or a patch to the last one. */
  onLive(id: string, update: LiveUpdate): void;
  /** The engine behind this link died (worker killed, leader tab closed): open a new link. */
  onLost(): void;
  /** The link now reaches a different engine (a new leader): subscriptions must be made again. */
  onEngineChanged(): void;
}
