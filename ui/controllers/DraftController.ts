/**
 * The composer's unsent text, kept per user and conversation in localStorage: it survives a
 * reload, and every tab showing the conversation shows the same draft (the `storage` event carries
 * another tab's edits). A send clears it everywhere. Bounded: drafts are capped at the composer's
 * length limit, and one that cannot be written (storage full or blocked) lives only in this tab.
 * The text is stored as typed, unencrypted, like the browser's own form restore; for a user whose
 * local data is encrypted (`persist` false) drafts stay in this tab's memory instead.
 */
import { DRAFT_PREFIX } from '../../schema/localKeys';
import type { ReactiveController, ReactiveControllerHost } from 'lit';

const PREFIX = DRAFT_PREFIX;

export interface DraftTarget {
  user: string;
  conversationId: string;
  /** False: keep drafts in this tab's memory only (the user's local data is encrypted). */
  persist: boolean;
}

export class DraftController implements ReactiveController {
  private key: string | null = null;
  private persist = true;
  /** Drafts kept in memory (`persist` false), per key. */
  private readonly inMemory = new Map<string, string>();
  private readonly onStorage = (e: StorageEvent) => {
    if (this.key !== null && e.key === this.key && e.storageArea === storage()) this.apply(e.newValue ?? '');
  };

  /**
   * @param target who and which conversation the host shows now (null: none)
   * @param apply sets the host's draft (from storage or another tab)
   */
  constructor(
    host: ReactiveControllerHost,
    private readonly target: () => DraftTarget | null,
    private readonly apply: (text: string) => void,
    private readonly maxChars: number,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    addEventListener('storage', this.onStorage);
  }

  hostDisconnected(): void {
    removeEventListener('storage', this.onStorage);
  }

  /** Call when the target may have changed: loads that conversation's draft. */
  retarget(): void {
    const t = this.target();
    const key = t ? `${PREFIX}${t.user}:${t.conversationId}` : null;
    if (key === this.key) return;
    this.key = key;
    this.persist = t?.persist !== false;
    // Drafts stored before the user's data was encrypted must not stay in the clear.
    if (t && !this.persist) forget(`${PREFIX}${t.user}:`);
    this.apply(key === null ? '' : ((this.persist ? read(key) : this.inMemory.get(key)) ?? ''));
  }

  /** The text as it now stands in the composer ('' after a send). */
  save(text: string): void {
    if (this.key === null) return;
    const draft = text.slice(0, this.maxChars);
    if (!this.persist) {
      if (draft) this.inMemory.set(this.key, draft);
      else this.inMemory.delete(this.key);
      return;
    }
    try {
      if (draft) storage()?.setItem(this.key, draft);
      else storage()?.removeItem(this.key);
    } catch {
      // Storage full or blocked: the draft stays in this tab only.
    }
  }
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // blocked (some privacy modes throw on access)
  }
}

function forget(prefix: string): void {
  try {
    const s = storage();
    const keys = s ? Array.from({ length: s.length }, (_, i) => s.key(i)).filter((k): k is string => k?.startsWith(prefix) === true) : [];
    for (const k of keys) s!.removeItem(k);
  } catch {
    // Storage blocked: nothing was stored either.
  }
}

function read(key: string): string | null {
  try {
    return storage()?.getItem(key) ?? null;
  } catch {
    return null;
  }
}
