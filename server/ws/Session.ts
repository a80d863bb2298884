/**
 * One WebSocket connection: awaiting auth, then active, then closed. It validates every frame,
 * rate-limits, dispatches requests to handlers and owns the socket's push Delivery.
 */
import * as v from 'valibot';
import type { WebSocket } from 'ws';
import {
  CloseCode,
  ErrorCode,
  KickReason,
  ParleyError,
  PROTOCOL_VERSION,
  NO_ECHO_PROTOCOL_VERSION,
  HEAD_START_PROTOCOL_VERSION,
  SIGNALS_PROTOCOL_VERSION,
  RebuildReason,
  SUPPORTED_PROTOCOL_VERSIONS,
  check,
  decodeClientFrame,
  encodeFrame,
  encodePushFrame,
  isRequestType,
  RequestSchemas,
  MAX_CONTENT_BYTES,
  type AuthFailedFrame,
  type AuthFrame,
  type ClientFrame,
  type RequestFrame,
  type ServerFrame,
  type RequestType,
  type TypingFrame,
  type TypingNoticeFrame,
  type PresenceFrame,
  type DeskFrame,
  EntityId,
} from '../../schema';
import type { TokenVerifier } from '../auth/TokenVerifier';
import type { Identity } from '../auth/tokens';
import type { ServerConfig } from '../config';
import type { Hub } from '../fanout/Hub';
import type { RecentEvents } from '../fanout/RecentEvents';
import type { RequestHandlers } from '../handlers';
import { requireParty, type HandlerDeps, type RequestContext, type SessionPresence } from '../handlers/context';
import type { Limits } from '../limits/Limits';
import type { ServerMetrics } from '../metrics';
import type { Store } from '../store/Store';
import { runFenced, SessionFenced, type Fence } from '../cluster/fence';
import type { SessionDirectory } from '../cluster/SessionDirectory';
import type { SignalSocket, Signals } from '../signals/Signals';
import type { Desk } from '../desk/Desk';
import { Delivery, type PushOut } from './Delivery';
import type { SessionRegistry } from './SessionRegistry';

export interface SessionDeps {
  config: ServerConfig;
  /** Verifies the auth frame's token. */
  tokens: Pick<TokenVerifier, 'verify'>;
  store: Store;
  hub: Hub;
  /** The newest published events: a socket's backlog is read from here while it covers it. */
  recent: RecentEvents | null;
  registry: SessionRegistry<Session>;
  /** Session claims across nodes (a no-op on one node). */
  sessions: SessionDirectory;
  handlers: RequestHandlers;
  metrics: ServerMetrics;
  limits: Limits;
  /** Wraps each socket's push sender (the test hooks do; none otherwise). */
  wrapPushSend?: (send: (frame: PushOut) => void) => (frame: PushOut) => void;
  /** Resolves once every event committed so far has reached the hub. */
  published: () => Promise<void>;
  /** Presence and typing. */
  signals: Signals;
  /** The shops' service desks. */
  desk: Desk;
}

type SessionState =
  | { kind: 'awaiting_auth'; deadline: number; authenticating: boolean }
  | {
      kind: 'active';
      identity: Identity;
      deviceId: string;
      /** The protocol version the client announced. */
      version: number;
      fence: Fence | null;
      expiresAt: number;
      delivery: Delivery;
      unsubscribe: () => void;
    }
  | { kind: 'closed' };

/** Frames a client may pipeline behind its auth frame. */
const MAX_EARLY_FRAMES = 32;
/**
 * A socket's `active` typing frames for one conversation closer together than this are dropped:
 * a client that sends one per keystroke costs its receivers no more than one that throttles.
 */
const TYPING_MIN_GAP_MS = 1_000;

export class Session implements SignalSocket {
  private state: SessionState;
  /** What request handlers are given of deps. */
  private readonly handlerDeps: HandlerDeps;
  /** The socket is corked until the end of this turn (see corkForThisTurn). */
  private corked = false;
  /**
   * The party this session speaks for in each conversation it used, looked up once per session, not
   * once per request: membership only grows (nothing removes a member) and the identity is fixed
   * for the session. Bounded: past PER_CONVERSATION_CACHED conversations it starts afresh.
   */
  private readonly parties = new BoundedMap<string>();
  private lastFrameAt: number;
  /** When each conversation's last `active` typing frame was relayed (bounded like `parties`). */
  private readonly typedAt = new BoundedMap<number>();
  /** Frames that arrived while the auth frame was being checked. */
  private early: ClientFrame[] = [];

  /**
   * @param ip the client's address: its limits apply until the socket authenticates (the upgrade
   * counted the socket against it with `limits.admit`; the session releases it).
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly deps: SessionDeps,
    private readonly ip: string,
  ) {
    this.handlerDeps = {
      store: deps.store,
      metrics: deps.metrics,
      published: deps.published,
      desk: deps.desk,
      recallWindows: { agentMs: deps.config.agentRecallWindowMs, otherMs: deps.config.recallWindowMs },
    };
    const now = deps.config.now();
    this.state = { kind: 'awaiting_auth', deadline: now + deps.config.authTimeoutMs, authenticating: false };
    this.lastFrameAt = now;
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', () => this.onClose());
  }

  get userId(): string {
    return this.state.kind === 'active' ? this.state.identity.userId : '';
  }
  get deviceId(): string {
    return this.state.kind === 'active' ? this.state.deviceId : '';
  }
  get fence(): Fence | null {
    return this.state.kind === 'active' ? this.state.fence : null;
  }
  /** The shop this session's user is an agent of, or null. */
  get agentOf(): string | null {
    return this.state.kind === 'active' ? agentShop(this.state.identity) : null;
  }

  /** A typing, presence or desk frame: only clients of protocol 5 or later know them. */
  signal(frame: TypingNoticeFrame | PresenceFrame | DeskFrame): void {
    if (this.state.kind === 'active' && this.state.version >= SIGNALS_PROTOCOL_VERSION) this.send(frame);
  }

  private send(frame: ServerFrame): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.corkForThisTurn();
    // A push's event is serialized once for all the sockets it goes to.
    this.ws.send(frame.t === 'push' ? encodePushFrame(frame.cursor, frame.prev, frame.event) : encodeFrame(frame));
  }

  /**
   * Frames sent in one turn go out in one write: a group commit publishes its events to a socket
   * in one run of the publish chain, and each frame in a write of its own was the loaded server's
   * biggest cost (a writev system call per push). ws does not expose its socket's cork; when the
   * private field is missing, frames go out one by one as before.
   */
  private corkForThisTurn(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork!();
    });
  }

  private sendError(code: ErrorCode, message: string, requestId?: string): void {
    this.deps.metrics.errors.inc(1, { code });
    if (requestId) this.send({ t: 'res', id: requestId, ok: false, error: { code, message } });
    else this.send({ t: 'error', code, message });
  }

  private close(code: number, reason: string): void {
    this.onClose();
    this.ws.close(code, reason);
  }

  kick(reason: KickReason, message: string): void {
    this.deps.metrics.kicks.inc(1, { reason });
    this.send({ t: 'kick', reason, message });
    this.close(CloseCode.KICKED, reason);
  }

  /** Periodic housekeeping: auth deadline, idle timeout, push resends. */
  tick(now: number): void {
    const s = this.state;
    if (s.kind === 'awaiting_auth' && now > s.deadline) {
      this.send({ t: 'auth_failed', code: ErrorCode.AUTH_TIMEOUT, message: 'no auth frame in time' });
      this.close(CloseCode.AUTH_TIMEOUT, 'auth timeout');
    } else if (s.kind === 'active') {
      if (now >= s.expiresAt) {
        // The session lives no longer than its token: the client reconnects with a fresh one.
        this.failAuth(ErrorCode.TOKEN_EXPIRED, 'token expired during the session');
      } else if (now - this.lastFrameAt > this.deps.config.idleTimeoutMs) this.close(CloseCode.IDLE_TIMEOUT, 'idle timeout');
      else if (!s.delivery.tick(now)) this.close(CloseCode.IDLE_TIMEOUT, 'pushes not acknowledged');
    }
  }

  /** This node is going away: the client reconnects at once, to another node through the load balancer. */
  shutdown(): void {
    this.close(CloseCode.GO_ELSEWHERE, 'node shutting down: reconnect');
  }

  private onClose(): void {
    const s = this.state;
    if (s.kind === 'closed') return;
    this.state = { kind: 'closed' };
    if (s.kind === 'awaiting_auth') this.deps.limits.release(this.ip);
    if (s.kind === 'active') {
      s.unsubscribe();
      this.deps.signals.detach(this);
      this.deps.registry.remove(this);
      this.deps.metrics.connections.dec();
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state.kind === 'closed') return;
    this.lastFrameAt = this.deps.config.now();
    this.deps.metrics.framesReceived.inc();
    const s0 = this.state;
    const beforeAuth = s0.kind === 'awaiting_auth' && !s0.authenticating;
    if (isBinary) {
      if (beforeAuth) return this.failAuth(ErrorCode.AUTH_REQUIRED, 'first frame must be a text auth frame');
      if (!this.takeToken()) return;
      return this.sendError(ErrorCode.INVALID_FRAME, 'binary frames are not accepted');
    }
    const decoded = decodeClientFrame(data.toString('utf8'));
    if (!decoded.ok) {
      if (beforeAuth) return this.failAuth(ErrorCode.AUTH_REQUIRED, `first frame must be auth (${decoded.message})`);
      if (!this.takeToken()) return;
      return this.sendError(decoded.code, decoded.message);
    }
    const frame = decoded.value;
    // Acks are exempt: a client acking a burst of pushes is doing what we asked, and an ack that
    // does not advance the cursor costs nothing. Before auth, frames are bounded otherwise: one auth
    // per socket (limited per IP), MAX_EARLY_FRAMES behind it, unauthenticated sockets per IP.
    if (frame.t !== 'ack' && !this.takeToken(frame.t === 'req' ? frame.id : undefined)) return;
    const s = this.state;
    if (s.kind === 'awaiting_auth') {
      if (s.authenticating) {
        // A client may pipeline requests right after its auth frame; hold them until auth is done.
        if (this.early.length >= MAX_EARLY_FRAMES) return this.close(CloseCode.POLICY, 'too many frames before auth');
        this.early.push(frame);
        return;
      }
      if (frame.t !== 'auth') return this.failAuth(ErrorCode.AUTH_REQUIRED, 'first frame must be auth');
      // Each auth costs its IP: guessing tokens or opening sockets in a loop slows its source only.
      if (!this.deps.limits.allowAuth(this.ip)) return this.close(CloseCode.POLICY, 'too many auth attempts');
      s.authenticating = true;
      this.authenticate(frame).catch((err: unknown) => {
        // The database did not answer (a restart, a lost connection): not the client's fault. It
        // backs off and tries again, here or on another node.
        this.deps.config.log(`auth failed on the server's side: ${String(err)}`);
        if (this.state.kind === 'awaiting_auth') this.close(CloseCode.INTERNAL, 'try again');
      });
      return;
    }
    this.dispatch(frame);
  }

  private dispatch(frame: ClientFrame): void {
    const s = this.state;
    if (s.kind !== 'active') return;
    switch (frame.t) {
      case 'auth':
        return this.sendError(ErrorCode.INVALID_FRAME, 'already authenticated');
      case 'ping':
        return this.send({ t: 'pong', ts: frame.ts, serverTime: this.deps.config.now() });
      case 'ack':
        return s.delivery.ack(frame.cursor);
      case 'req':
        void this.handleRequest(s.identity, s.deviceId, frame);
        return;
      case 'typing':
        void this.typing(s.identity, s.deviceId, frame);
        return;
    }
  }

  /** Relay a typing frame to the conversation's other members, if the sender is one. */
  private async typing(identity: Identity, deviceId: string, frame: TypingFrame): Promise<void> {
    const now = this.deps.config.now();
    if (frame.active) {
      const last = this.typedAt.get(frame.conversationId);
      if (last !== undefined && now - last < TYPING_MIN_GAP_MS) return;
      this.typedAt.set(frame.conversationId, now);
    } else this.typedAt.delete(frame.conversationId);
    try {
      const party = await requireParty(this.context(identity, deviceId), frame.conversationId);
      await this.deps.signals.typing.relay({ userId: identity.userId, shopId: agentShop(identity) }, party, frame.conversationId, frame.active);
    } catch (err) {
      if (ParleyError.is(err)) return this.sendError(err.code, `typing: ${err.message}`);
      this.deps.config.log(`typing failed: ${String(err)}`);
    }
  }

  /**
   * One frame's worth of its user's rate limit (frames before auth are bounded otherwise). Over
   * it, the frame is answered RATE_LIMITED; a user that keeps flooding past its patience has the
   * socket closed instead.
   */
  private takeToken(requestId?: string): boolean {
    if (this.state.kind !== 'active') return true;
    const { limits } = this.deps;
    const owner = this.state.identity.userId;
    if (limits.frames.take(owner)) return true;
    if (!limits.refused(owner)) this.close(CloseCode.POLICY, 'rate limit');
    else this.sendError(ErrorCode.RATE_LIMITED, 'too many frames; slow down', requestId);
    return false;
  }

  private failAuth(code: AuthFailedFrame['code'], message: string, extra?: { supportedVersions: number[] }): void {
    this.deps.metrics.errors.inc(1, { code });
    this.send({ t: 'auth_failed', code, message, ...extra });
    this.close(CloseCode.AUTH_FAILED, code);
  }

  private async authenticate(frame: AuthFrame): Promise<void> {
    const { config, store, hub, registry, metrics } = this.deps;
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(frame.v)) {
      return this.failAuth(ErrorCode.UNSUPPORTED_VERSION, `protocol version ${frame.v} is not supported (this server speaks ${PROTOCOL_VERSION})`, {
        supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
      });
    }
    const verified = await this.deps.tokens.verify(frame.token, config.now());
    if (!verified.ok) return this.failAuth(verified.code, verified.message);
    const identity = verified.identity;
    await store.upsertUser(identity);
    const recorded = await store.getDeviceCursor(identity.userId, frame.deviceId);
    const head = await store.headCursor(identity);
    // A version 1 client cannot roll back, and one that names no epoch never stored one (a database
    // from before epochs): both are served as before.
    const lost = frame.v >= 2 && frame.cursor !== undefined && frame.cursor > 0 && frame.epoch !== undefined ? await store.epochEnd(frame.epoch) : null;
    if (this.state.kind !== 'awaiting_auth') return; // closed while we looked things up
    // The client knows what it stored; its cursor wins over our record (which may miss a lost ack).
    // Unless it is past what the server still holds of its epoch: then the stream restarts where
    // that history ends, and the client is told to roll back to there first.
    const resync = lost !== null && frame.cursor! > lost ? { cursor: lost } : undefined;
    const replayFrom = resync ? resync.cursor : Math.min(frame.cursor ?? recorded, head);
    const begin = await this.streamStart(frame, identity, replayFrom);
    if (this.state.kind !== 'awaiting_auth') return;
    if (begin.kind === 'refused') {
      return this.failAuth(ErrorCode.UNSUPPORTED_VERSION, `events after cursor ${replayFrom} were pruned; a client of protocol ${HEAD_START_PROTOCOL_VERSION} or later rebuilds from the head`, {
        supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
      });
    }
    const rebuild = begin.kind === 'rebuild' ? { cursor: begin.cursor, reason: begin.reason } : undefined;
    const start = begin.cursor;
    if (resync) {
      metrics.resyncs.inc();
      config.log(`device ${frame.deviceId} of ${identity.userId} holds cursor ${frame.cursor} of epoch ${frame.epoch ?? '(none)'}; this server holds up to ${resync.cursor}: resync`);
    }
    if (rebuild) metrics.rebuilds.inc(1, { reason: rebuild.reason });
    // Last before going live: the newest claim wins (see SessionRegistry.add).
    const fence = await this.deps.sessions.claim(identity.userId, frame.deviceId);
    if (this.state.kind !== 'awaiting_auth') return;
    const delivery = new Delivery(
      {
        store,
        recent: this.deps.recent,
        identity,
        deviceId: frame.deviceId,
        skipOwnSends: frame.v >= NO_ECHO_PROTOCOL_VERSION,
        version: frame.v,
        send: this.deps.wrapPushSend?.((f) => this.send(f)) ?? ((f) => this.send(f)),
        metrics,
        now: config.now,
        window: config.pushWindow,
        resendMs: config.pushResendMs,
        resendLimit: config.pushResendLimit,
      },
      start,
    );
    this.state = {
      kind: 'active',
      identity,
      deviceId: frame.deviceId,
      version: frame.v,
      fence,
      expiresAt: verified.expiresAt,
      delivery,
      unsubscribe: hub.subscribe(identity.userId, delivery),
    };
    this.deps.limits.release(this.ip);
    metrics.connections.inc();
    this.deps.signals.attach(this);
    if (!registry.add(this)) return; // a newer claim of the same slot is here: this one was kicked
    this.send({
      t: 'auth_ok',
      userId: identity.userId,
      role: identity.role,
      shopId: identity.shopId,
      displayName: identity.displayName,
      deviceId: frame.deviceId,
      ackedCursor: recorded,
      headCursor: head,
      serverTime: config.now(),
      idleTimeoutMs: config.idleTimeoutMs,
      limits: { maxFrameBytes: config.maxFrameBytes, maxContentBytes: MAX_CONTENT_BYTES },
      epoch: store.epoch,
      ...(resync ? { resync } : {}),
      ...(rebuild ? { rebuild } : {}),
    });
    delivery.start();
    const early = this.early;
    this.early = [];
    for (const f of early) this.dispatch(f);
  }

  /**
   * Where this device's stream starts. Replayed from `replayFrom` (its cursor, or the server's record
   * of it) unless, from protocol 4, it holds nothing (no cursor: it starts at the head and loads that
   * instead of the whole history) or events after `replayFrom` were pruned (it rebuilds from the
   * head). An older client whose replay would skip pruned events is refused: it cannot rebuild.
   */
  private async streamStart(frame: AuthFrame, identity: Identity, replayFrom: number): Promise<StreamStart> {
    const { store } = this.deps;
    const headStart = frame.v >= HEAD_START_PROTOCOL_VERSION;
    if (headStart && frame.cursor === undefined) return { kind: 'rebuild', cursor: await store.streamHead(), reason: RebuildReason.NEW_DEVICE };
    if (!(await store.prunedAfter(identity, replayFrom))) return { kind: 'replay', cursor: replayFrom };
    return headStart ? { kind: 'rebuild', cursor: await store.streamHead(), reason: RebuildReason.PRUNED } : { kind: 'refused' };
  }

  /**
   * Retention pruned the stream up to `horizon`. If that took events this socket still has to send
   * (or send again), its delivery would skip them: close it, and the reconnect's auth says to rebuild.
   */
  async pruned(horizon: number): Promise<void> {
    const s = this.state;
    if (s.kind !== 'active' || s.delivery.readsFrom >= horizon) return;
    if (!(await this.deps.store.prunedAfter(s.identity, s.delivery.readsFrom))) return;
    if (this.state === s) this.close(CloseCode.STREAM_PRUNED, 'stream pruned: reconnect to rebuild');
  }

  private async handleRequest(identity: Identity, deviceId: string, frame: RequestFrame): Promise<void> {
    if (!isRequestType(frame.type)) {
      return this.sendError(ErrorCode.UNKNOWN_REQUEST, `unknown request type ${frame.type.slice(0, 64)}`, frame.id);
    }
    let endAfter = false;
    const ctx = this.context(identity, deviceId, () => void (endAfter = true));
    try {
      // Membership first: someone outside a conversation gets nothing for it, not even the work of
      // validating what they sent.
      const target = targetConversation(frame.type, frame.params);
      if (target !== null) await requireParty(ctx, target);
      const params = check(RequestSchemas[frame.type].params, frame.params, ErrorCode.INVALID_PARAMS);
      if (!params.ok) return this.sendError(params.code, params.message, frame.id);
      const handler = this.deps.handlers[frame.type] as (ctx: RequestContext, p: unknown) => Promise<unknown>;
      const fence = this.fence;
      const result = await runFenced(fence, () => handler(ctx, params.value));
      this.send({ t: 'res', id: frame.id, ok: true, result });
      if (endAfter) this.close(CloseCode.NORMAL, 'signed out');
    } catch (err) {
      if (err instanceof SessionFenced) {
        // A newer login holds this slot (its kick did not reach us): end the session, answer nothing
        // (the device keeps the request pending, as after any disconnect).
        if (this.state.kind === 'active') this.kick(KickReason.LOGGED_IN_ELSEWHERE, 'this account logged in elsewhere');
        return;
      }
      if (ParleyError.is(err)) return this.sendError(err.code, err.message, frame.id);
      this.deps.config.log(`request ${frame.type} failed: ${(err as Error)?.stack ?? String(err)}`);
      this.sendError(ErrorCode.INTERNAL, 'internal error', frame.id);
    }
  }

  /** `endAfterAnswer`: what a handler's request to close the socket after its answer does (nothing outside a request). */
  private context(identity: Identity, deviceId: string, endAfterAnswer: () => void = () => {}): RequestContext {
    return {
      identity,
      deviceId,
      version: this.state.kind === 'active' ? this.state.version : PROTOCOL_VERSION,
      deps: this.handlerDeps,
      takeMessages: (n) => this.deps.limits.messages.take(identity.userId, n),
      parties: this.parties,
      presence: this.presence,
      endAfterAnswer,
    };
  }

  /** What presence requests may do for this socket. */
  private readonly presence: SessionPresence = {
    watch: (subjects) => {
      const { presence, watchers } = this.deps.signals;
      if (this.state.kind !== 'active') return [];
      watchers.watch(this, subjects);
      return subjects.map((s) => ({ ...s, state: presence.stateOf(s.kind, s.id) }));
    },
    setStatus: (status) => {
      if (this.state.kind === 'active') this.deps.signals.presence.setStatus(this.state.identity.userId, status);
    },
  };
}

/** The shop a user is an agent of: a merchant's; nobody else's. */
function agentShop(identity: Identity): string | null {
  return identity.role === 'merchant' ? identity.shopId : null;
}

type StreamStart = { kind: 'replay'; cursor: number } | { kind: 'rebuild'; cursor: number; reason: RebuildReason } | { kind: 'refused' };

/** The conversation a request is about, when its type names one and the id is well formed. */
function targetConversation(type: RequestType, params: unknown): string | null {
  const schema = RequestSchemas[type].params;
  if (!('entries' in schema) || !('conversationId' in schema.entries)) return null;
  const id = typeof params === 'object' && params !== null ? (params as { conversationId?: unknown }).conversationId : undefined;
  return v.is(EntityId, id) ? id : null;
}

const PER_CONVERSATION_CACHED = 1024;

/** A Map by conversation that empties itself when it would grow past PER_CONVERSATION_CACHED entries. */
class BoundedMap<V> extends Map<string, V> {
  override set(conversationId: string, value: V): this {
    if (this.size >= PER_CONVERSATION_CACHED && !this.has(conversationId)) this.clear();
    return super.set(conversationId, value);
  }
}
