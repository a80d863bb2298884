/**
 * Synchronous access to asynchronously resolved media URLs, for templates that must render now:
 * get(ref) answers the URL when it is known, else starts resolving it (once) and answers null;
 * onChange fires when an answer arrives, so the element renders again. Pure (no DOM, no Lit).
 *
 * - Bounded: least recently used refs are forgotten past `max`.
 * - Errors are remembered: a ref that failed is not asked again on every render (which would be a
 *   request loop), only after refresh() (the connection came back) or retry(ref) (the user asked).
 * - Slots: while a new ref for the same place resolves (a pending upload's `local:` ref becoming a
 *   server URL), the place keeps its previous URL, so the image does not blink.
 */
import { isMediaRef, safeMediaSrc } from '../safeUrl';

export type MediaEntry =
  | { status: 'loading' }
  | { status: 'ready'; url: string }
  | { status: 'error'; code: string };

/** Resolves a ref (ParleyClient.mediaUrl); rejects with an error carrying a `code`. */
export type MediaResolver = (ref: string) => Promise<string>;

const DEFAULT_MAX = 300;

export class MediaUrlCache {
  private readonly entries = new Map<string, MediaEntry>();
  private readonly slots = new Map<string, string>();

  constructor(
    private resolver: MediaResolver | null,
    private readonly onChange: () => void,
    private readonly max = DEFAULT_MAX,
  ) {}

  /** The loadable URL for `ref`, or null (resolving, failed, or not a media ref). See the file comment for `slot`. */
  get(ref: unknown, slot?: string): string | null {
    const entry = this.entry(ref);
    if (entry?.status === 'ready') {
      if (slot !== undefined) this.remember(slot, entry.url);
      return entry.url;
    }
    return entry?.status === 'loading' && slot !== undefined ? (this.slots.get(slot) ?? null) : null;
  }

  /** The error code when `ref` could not be resolved or loaded, else null. */
  error(ref: unknown): string | null {
    if (!isMediaRef(ref)) return ref === undefined || ref === null || ref === '' ? null : 'INVALID_URL';
    const entry = this.entries.get(ref);
    return entry?.status === 'error' ? entry.code : null;
  }

  /** The URL given for `ref` did not load (an `<img>`/`<audio>` error event). */
  fail(ref: unknown, code = 'LOAD_FAILED'): void {
    if (!isMediaRef(ref)) return;
    const entry = this.entries.get(ref);
    if (entry?.status === 'error') return;
    this.set(ref, { status: 'error', code });
    this.onChange();
  }

  /** Forget what is known about `ref`, so the next get() resolves it again. */
  retry(ref: unknown): void {
    if (!isMediaRef(ref) || !this.entries.delete(ref)) return;
    this.onChange();
  }

  /**
   * The connection came back: forget failures, and bare URLs handed out while offline (which only
   * the service worker's cache could answer), so they are resolved again, signed this time.
   */
  refresh(): void {
    let changed = false;
    for (const [ref, entry] of [...this.entries]) {
      if (entry.status === 'error' || (entry.status === 'ready' && entry.url === ref)) {
        this.entries.delete(ref);
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  /** A different client: everything known came from the old one. */
  reset(resolver: MediaResolver | null): void {
    this.resolver = resolver;
    this.entries.clear();
    this.slots.clear();
  }

  private entry(ref: unknown): MediaEntry | null {
    if (!isMediaRef(ref)) return null;
    const known = this.entries.get(ref);
    if (known) {
      this.touch(ref, known);
      return known;
    }
    const resolver = this.resolver;
    if (!resolver) return null;
    const loading: MediaEntry = { status: 'loading' };
    this.set(ref, loading);
    void this.load(ref, loading, resolver);
    return loading;
  }

  private async load(ref: string, loading: MediaEntry, resolver: MediaResolver): Promise<void> {
    let next: MediaEntry;
    try {
      const url = safeMediaSrc(await resolver(ref), ref);
      next = url ? { status: 'ready', url } : { status: 'error', code: 'UNSAFE_URL' };
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      next = { status: 'error', code: typeof code === 'string' ? code : 'UNKNOWN' };
    }
    // Evicted, retried or reset meanwhile: this answer is stale.
    if (this.entries.get(ref) !== loading || resolver !== this.resolver) return;
    this.set(ref, next);
    this.onChange();
  }

  private touch(ref: string, entry: MediaEntry): void {
    this.entries.delete(ref);
    this.entries.set(ref, entry);
  }

  private set(ref: string, entry: MediaEntry): void {
    this.entries.delete(ref);
    this.entries.set(ref, entry);
    trim(this.entries, this.max);
  }

  private remember(slot: string, url: string): void {
    if (this.slots.get(slot) === url) return;
    this.slots.delete(slot);
    this.slots.set(slot, url);
    trim(this.slots, this.max);
  }
}

/** Drop the oldest keys (Maps iterate in insertion order) until `map` holds at most `max`. */
function trim(map: Map<string, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
