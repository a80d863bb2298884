/**
 * The latest upload progress of own pending media messages, from the client's `upload` events.
 * Pure (no DOM). A finished upload stays at loaded = total until forgotten, so a message whose
 * files are up but which is not stored by the server yet shows a full bar, not an empty one.
 */
import type { UploadFraction } from '../templates/types';

export type { UploadFraction };

/** The fields of the engine's `upload` event used here. */
export interface UploadEventLike {
  messageId: string;
  loaded: number;
  total: number;
  done: boolean;
}

const DEFAULT_MAX = 200;

export class UploadProgress {
  private readonly byId = new Map<string, UploadFraction>();

  constructor(private readonly max = DEFAULT_MAX) {}

  /** Record an event; returns true when what get() answers changed. */
  apply(e: UploadEventLike): boolean {
    const total = Math.max(0, Number(e.total) || 0);
    const loaded = e.done && total > 0 ? total : clamp(Number(e.loaded) || 0, 0, total || Infinity);
    const prev = this.byId.get(e.messageId);
    if (prev && prev.loaded === loaded && prev.total === total) return false;
    this.byId.delete(e.messageId);
    this.byId.set(e.messageId, { loaded, total });
    // Oldest first: messages sent long ago are the ones nobody looks at any more.
    for (const id of this.byId.keys()) {
      if (this.byId.size <= this.max) break;
      this.byId.delete(id);
    }
    return true;
  }

  /** The last known progress of `messageId`, or null before its first event. */
  get(messageId: string): UploadFraction | null {
    return this.byId.get(messageId) ?? null;
  }

  clear(): void {
    this.byId.clear();
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
