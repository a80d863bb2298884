/**
 * Which sockets watch which subjects' presence (what each asked with presence.watch), so a change
 * goes to those sockets only. A socket's watch is replaced by its next one and dropped as it closes.
 */
import { MAX_PRESENCE_WATCH, type Presence, type PresenceFrame } from '../../schema';

export interface PresenceWatcher {
  signal(frame: PresenceFrame): void;
}

const keyOf = (p: Pick<Presence, 'kind' | 'id'>): string => `${p.kind}:${p.id}`;

/** Subjects one socket may watch: a few per conversation at most. */
const MAX_SUBJECTS = MAX_PRESENCE_WATCH * 4;

export class PresenceWatchers {
  private readonly bySubject = new Map<string, Set<PresenceWatcher>>();
  private readonly byWatcher = new Map<PresenceWatcher, string[]>();

  watch(watcher: PresenceWatcher, subjects: readonly Pick<Presence, 'kind' | 'id'>[]): void {
    this.unwatch(watcher);
    const keys = [...new Set(subjects.map(keyOf))].slice(0, MAX_SUBJECTS);
    if (keys.length === 0) return;
    this.byWatcher.set(watcher, keys);
    for (const key of keys) {
      let set = this.bySubject.get(key);
      if (!set) this.bySubject.set(key, (set = new Set()));
      set.add(watcher);
    }
  }

  unwatch(watcher: PresenceWatcher): void {
    for (const key of this.byWatcher.get(watcher) ?? []) {
      const set = this.bySubject.get(key);
      set?.delete(watcher);
      if (set?.size === 0) this.bySubject.delete(key);
    }
    this.byWatcher.delete(watcher);
  }

  /** Send each watcher the changes among what it watches, in one frame. */
  changed(changes: readonly Presence[]): void {
    const out = new Map<PresenceWatcher, Presence[]>();
    for (const change of changes) {
      for (const w of this.bySubject.get(keyOf(change)) ?? []) {
        const list = out.get(w);
        if (list) list.push(change);
        else out.set(w, [change]);
      }
    }
    for (const [w, presence] of out) w.signal({ t: 'presence', presence });
  }

  get size(): number {
    return this.byWatcher.size;
  }
}
