/**
 * The engine's side of typing and presence (protocol 5), for every tab at once. Typing: the tabs'
 * "is typing" calls become at most one frame per TYPING_RESEND_MS per conversation, and what others
 * type is held per conversation until it expires (TYPING_TTL_MS) or their message arrives. Presence:
 * the conversations every tab watches become one presence.watch, asked again on each new socket.
 * Nothing here is stored: it is about now, and a reload asks the server again.
 */
import {
  MAX_PRESENCE_WATCH,
  TYPING_RESEND_MS,
  TYPING_TTL_MS,
  type Presence,
  type PresenceFrame,
  type RequestParams,
  type RequestResult,
  type TypingFrame,
  type TypingNoticeFrame,
} from '../../schema';
import type { Platform, TimerId } from '../platform';
import type { ConversationPresence, SignalsSnapshot, TypingParty } from '../protocol';

export interface SignalsDeps {
  platform: Platform;
  /** Send a frame on the socket if one is online; false (dropped) otherwise. */
  send(frame: TypingFrame): boolean;
  watch(params: RequestParams<'presence.watch'>): Promise<RequestResult<'presence.watch'>>;
  setStatus(params: RequestParams<'presence.set'>): Promise<unknown>;
  emitTyping(conversationId: string, typing: TypingParty[]): void;
  emitPresence(conversations: ConversationPresence[]): void;
  /** Something went wrong that no caller is waiting for (a watch that failed). */
  report(message: string): void;
}

/** Conversations typed in at once, by this user and by others: bounded like any pending thing. */
const MAX_TYPING_CONVERSATIONS = 256;

interface Typist extends TypingParty {
  timer: TimerId;
}

const keyOf = (p: Pick<Presence, 'kind' | 'id'>): string => `${p.kind}:${p.id}`;

export class EngineSignals {
  /** When this user last said they type, per conversation (absent: they are not typing). */
  private readonly sentAt = new Map<string, number>();
  private readonly typing = new Map<string, Map<string, Typist>>();
  /** What each tab watches. */
  private readonly watchedBy = new Map<string, string[]>();
  /** The last answer's subjects per conversation, and each subject's state. */
  private readonly subjects = new Map<string, Pick<Presence, 'kind' | 'id'>[]>();
  private readonly states = new Map<string, Presence>();
  private status: 'online' | 'away' = 'online';
  /** The set asked on this socket (sorted ids joined), or null when nothing was. */
  private asked: string | null = null;
  private watching: Promise<void> | null = null;
  /** The tabs' set changed while a watch was under way. */
  private dirty = false;
  private connected = false;

  constructor(private readonly deps: SignalsDeps) {}

  // ---- typing ---------------------------------------------------------------------------------

  /** The user types in a conversation (`active`), or stopped (emptied or sent the text). */
  setTyping(conversationId: string, active: boolean): void {
    const now = this.deps.platform.clock.now();
    const last = this.sentAt.get(conversationId);
    if (active) {
      if (last !== undefined && now - last < TYPING_RESEND_MS) return;
      if (!this.deps.send({ t: 'typing', conversationId, active: true })) return;
      if (this.sentAt.size >= MAX_TYPING_CONVERSATIONS && last === undefined) this.sentAt.clear();
      this.sentAt.set(conversationId, now);
    } else if (last !== undefined) {
      this.sentAt.delete(conversationId);
      this.deps.send({ t: 'typing', conversationId, active: false });
    }
  }

  onTyping(frame: TypingNoticeFrame): void {
    if (frame.active) this.startTypist(frame.conversationId, { id: frame.from, kind: frame.fromKind });
    else this.stopTypist(frame.conversationId, frame.from);
  }

  /**
   * A message arrived: its sender stopped typing. An agent's message is the shop's, so it also ends
   * "the shop is typing" for every shop of the conversation (a conversation has one at most).
   * `ownParties` is asked only when someone types there: most messages arrive with nobody typing.
   */
  onMessage(conversationId: string, senderId: string, ownParties: () => readonly string[]): void {
    const typists = this.typing.get(conversationId);
    if (!typists || ownParties().includes(senderId)) return;
    for (const t of [...typists.values()]) if (t.id === senderId || t.kind === 'shop') this.stopTypist(conversationId, t.id);
  }

  private startTypist(conversationId: string, party: TypingParty): void {
    let typists = this.typing.get(conversationId);
    if (!typists) {
      if (this.typing.size >= MAX_TYPING_CONVERSATIONS) return;
      this.typing.set(conversationId, (typists = new Map()));
    }
    const known = typists.get(party.id);
    if (known) this.deps.platform.timers.clearTimeout(known.timer);
    const timer = this.deps.platform.timers.setTimeout(() => this.stopTypist(conversationId, party.id), TYPING_TTL_MS);
    typists.set(party.id, { ...party, timer });
    if (!known) this.emitTyping(conversationId);
  }

  private stopTypist(conversationId: string, id: string): void {
    const typists = this.typing.get(conversationId);
    const known = typists?.get(id);
    if (!typists || !known) return;
    this.deps.platform.timers.clearTimeout(known.timer);
    typists.delete(id);
    if (typists.size === 0) this.typing.delete(conversationId);
    this.emitTyping(conversationId);
  }

  private emitTyping(conversationId: string): void {
    this.deps.emitTyping(conversationId, this.typistsIn(conversationId));
  }

  private typistsIn(conversationId: string): TypingParty[] {
    return [...(this.typing.get(conversationId)?.values() ?? [])].map(({ id, kind }) => ({ id, kind }));
  }

  // ---- presence -------------------------------------------------------------------------------

  /** What one tab watches now (replacing its last); the union of all tabs' is asked of the server. */
  watch(owner: string, conversationIds: readonly string[]): void {
    if (conversationIds.length === 0) this.watchedBy.delete(owner);
    else this.watchedBy.set(owner, [...new Set(conversationIds)]);
    this.ask();
  }

  unwatch(owner: string): void {
    if (this.watchedBy.delete(owner)) this.ask();
  }

  /** The user is away, or back. Said again on every new socket. */
  setStatus(status: 'online' | 'away'): void {
    this.status = status;
    if (this.connected) this.deps.setStatus({ status }).catch(() => {});
  }

  /** A new socket is online: it watches nothing yet and its user is online until told otherwise. */
  online(): void {
    this.connected = true;
    this.asked = null;
    this.ask();
    if (this.status === 'away') this.deps.setStatus({ status: 'away' }).catch(() => {});
  }

  /** The socket went away: typing notices heard on it end now (nobody will renew or stop them). */
  offline(): void {
    this.connected = false;
    for (const [conversationId, typists] of [...this.typing]) for (const id of [...typists.keys()]) this.stopTypist(conversationId, id);
    this.sentAt.clear();
  }

  onPresence(frame: PresenceFrame): void {
    const changed = new Set<string>();
    for (const p of frame.presence) {
      const key = keyOf(p);
      if (!this.states.has(key)) continue;
      this.states.set(key, p);
      changed.add(key);
    }
    const touched = [...this.subjects].filter(([, subjects]) => subjects.some((s) => changed.has(keyOf(s))));
    if (touched.length > 0) this.deps.emitPresence(touched.map(([conversationId]) => this.presenceIn(conversationId)));
  }

  snapshot(): SignalsSnapshot {
    return {
      typing: [...this.typing.keys()].map((conversationId) => ({ conversationId, typing: this.typistsIn(conversationId) })),
      presence: [...this.subjects.keys()].map((conversationId) => this.presenceIn(conversationId)),
    };
  }

  private presenceIn(conversationId: string): ConversationPresence {
    return { conversationId, presence: (this.subjects.get(conversationId) ?? []).map((s) => this.states.get(keyOf(s)) ?? { ...s, state: 'offline' }) };
  }

  /** The newest tabs' conversations first, MAX_PRESENCE_WATCH in all. */
  private wanted(): string[] {
    const all = new Set<string>();
    for (const ids of [...this.watchedBy.values()].reverse()) for (const id of ids) all.add(id);
    return [...all].slice(0, MAX_PRESENCE_WATCH);
  }

  /**
   * Ask the server to watch what the tabs watch: one request at a time, on an online socket only
   * (a new socket asks in online()), and again when the tabs' set changed meanwhile.
   */
  private ask(): void {
    if (!this.connected) return;
    if (this.watching) {
      this.dirty = true;
      return;
    }
    const conversationIds = this.wanted();
    const key = conversationIds.slice().sort().join(',');
    // A fresh socket watches nothing: there is nothing to stop.
    if (key === (this.asked ?? '')) {
      this.asked = key;
      return;
    }
    this.asked = key;
    this.watching = this.deps
      .watch({ conversationIds })
      .then(
        (answer) => this.answered(conversationIds, answer),
        (err: unknown) => {
          // Not watched: the next change of the tabs' set, or the next socket, asks again.
          this.asked = null;
          this.deps.report(`presence.watch failed: ${(err as Error)?.message ?? String(err)}`);
        },
      )
      .finally(() => {
        this.watching = null;
        if (this.dirty) {
          this.dirty = false;
          this.ask();
        }
      });
  }

  private answered(asked: string[], answer: RequestResult<'presence.watch'>): void {
    const before = new Set(this.subjects.keys());
    this.subjects.clear();
    this.states.clear();
    for (const c of answer.conversations) {
      this.subjects.set(c.conversationId, c.presence.map(({ kind, id }) => ({ kind, id })));
      for (const p of c.presence) this.states.set(keyOf(p), p);
    }
    const emitted = [...new Set([...asked, ...before])].map((id) => this.presenceIn(id));
    if (emitted.length > 0) this.deps.emitPresence(emitted);
  }
}
