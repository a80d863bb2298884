/**
 * Every failure Parley reports, as a stable code. Codes travel on the wire (error frames, failed
 * responses, auth failures) and across MessagePorts, where error classes do not survive: match on
 * `code`, never on `instanceof` or on the message text.
 */
export const ErrorCode = {
  // Authentication (auth_failed frames)
  AUTH_REQUIRED: 'AUTH_REQUIRED',
  AUTH_TIMEOUT: 'AUTH_TIMEOUT',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  // Frames and requests (error frames, failed responses)
  INVALID_FRAME: 'INVALID_FRAME',
  UNKNOWN_REQUEST: 'UNKNOWN_REQUEST',
  INVALID_PARAMS: 'INVALID_PARAMS',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  /** Protocol 5: a recall came after the server's window for it. */
  RECALL_WINDOW_PASSED: 'RECALL_WINDOW_PASSED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL: 'INTERNAL',
  // Client side: raised by the engine, never sent by the server
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  TOO_MANY_PENDING: 'TOO_MANY_PENDING',
  DISCONNECTED: 'DISCONNECTED',
  /** Sent, then the connection dropped before the answer, and repeating it is not safe: check before retrying. */
  OUTCOME_UNKNOWN: 'OUTCOME_UNKNOWN',
  ABORTED: 'ABORTED',
  CLOSED: 'CLOSED',
  /** A sign-out that wipes would drop messages not sent yet: the app asks the user (see signOut's `discardUnsent`). */
  UNSENT_MESSAGES: 'UNSENT_MESSAGES',
  /**
   * The local database does not open with the encryption key given (a wrong key, or one from before
   * a rotation): nothing was read or changed. Give the right key, or rebuild (see connect's `encryption`).
   */
  KEY_REJECTED: 'KEY_REJECTED',
  /** The local database could not commit: the browser's storage quota is exhausted. */
  STORAGE_FULL: 'STORAGE_FULL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Why the server ended a session on purpose (kick frame), as opposed to a network loss. */
export const KickReason = {
  /** The same user logged in on another device and the single-device policy is on. */
  LOGGED_IN_ELSEWHERE: 'LOGGED_IN_ELSEWHERE',
  /** The same device opened a newer connection; this one is stale. */
  REPLACED: 'REPLACED',
  /** An operator ended the session. */
  ADMIN: 'ADMIN',
} as const;
export type KickReason = (typeof KickReason)[keyof typeof KickReason];

/** WebSocket close codes Parley uses. 4000-4999 are reserved for applications by RFC 6455. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  AUTH_FAILED: 4000,
  KICKED: 4001,
  IDLE_TIMEOUT: 4002,
  AUTH_TIMEOUT: 4003,
  /**
   * The server pruned events of this socket's stream it had not delivered yet. Reconnect: the
   * auth answer tells the device to rebuild from the head.
   */
  STREAM_PRUNED: 4004,
  /**
   * This node is shutting down (or draining for a deploy): reconnect now, through the load balancer,
   * to another node. Not a failure: the client comes back after a short random delay (spreading the
   * node's clients over time) without growing its backoff.
   */
  GO_ELSEWHERE: 4005,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Why a device starts at the head instead of being replayed the stream (`auth_ok.rebuild`). */
export const RebuildReason = {
  /** Nothing is stored on the device yet. */
  NEW_DEVICE: 'new_device',
  /** The server pruned events after the device's cursor (it was away longer than the retention horizon). */
  PRUNED: 'pruned',
} as const;
export type RebuildReason = (typeof RebuildReason)[keyof typeof RebuildReason];

/** Whether retrying the same request later may succeed. Drives the outbox's resend decisions. */
export function isRetryable(code: ErrorCode): boolean {
  return (
    code === ErrorCode.REQUEST_TIMEOUT ||
    code === ErrorCode.DISCONNECTED ||
    code === ErrorCode.RATE_LIMITED ||
    code === ErrorCode.INTERNAL ||
    code === ErrorCode.TOO_MANY_PENDING
  );
}

/**
 * The one error class. `name` is always 'ParleyError' so a copy that crossed a port (which keeps
 * only name, message and own enumerable fields) is still recognised by {@link ParleyError.is}.
 */
/**
 * KEY_REJECTED: `unsent` is how many messages were waiting to be sent in the database that does not
 * open (a rebuild drops them); null when that is not known.
 */
export interface ErrorDetails {
  unsent?: number | null;
}

export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  readonly code: ErrorCode;
  /** Figures an app may act on, e.g. KEY_REJECTED's `unsent` (kept across a MessagePort, not on the wire). */
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: ErrorDetails }) {
    super(message, options);
    this.code = code;
    this.details = options?.details;
  }

  /** True for a ParleyError or a structured-clone copy of one, optionally with the given code. */
  static is(err: unknown, code?: ErrorCode): err is ParleyError {
    if (typeof err !== 'object' || err === null) return false;
    const e = err as { name?: unknown; code?: unknown };
    if (e.name !== 'ParleyError' || typeof e.code !== 'string') return false;
    return code === undefined || e.code === code;
  }


}

/** A ParleyError from its wire form `{ code, message }` (a failed response); an unknown code becomes INTERNAL. */
export function errorFromWire(wire: { code: string; message: string }): ParleyError {
  const known = Object.values(ErrorCode) as string[];
  const code = (known.includes(wire.code) ? wire.code : ErrorCode.INTERNAL) as ErrorCode;
  return new ParleyError(code, wire.message);
}
