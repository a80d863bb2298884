/**
 * The global listener (seed section 7) as typed events. Every tab receives every event; heartbeats
 * and kicks are handled inside the engine and surface only as state changes and these events.
 */
import type { AuthFailedFrame, ErrorCode, KickReason, PushEvent } from '../../schema';
import type { ConnectionState } from '../connection/state';
import type { StorageDurability } from '../store/SqlDriver';

export type EngineEvent =
  /** The connection's state changed (see ConnectionState). */
  | { type: 'state'; state: ConnectionState }
  /** The socket is open and authenticated (seed: connectSuccess + authorSuccess). */
  | { type: 'connect_success'; userId: string; deviceId: string }
  /** The link was lost or could not be made (seed: connectFailure with its cause). */
  | { type: 'connect_failure'; cause: 'network' | 'offline' | 'kicked' | 'gave_up'; code: ErrorCode | KickReason; message: string }
  /** The server refused the credentials (seed: authorFailure). */
  | { type: 'auth_failure'; code: AuthFailedFrame['code']; message: string }
  /** A pushed event arrived (seed: receiveSuccess). `cursor` orders the user's stream. */
  | { type: 'receive'; cursor: number; event: PushEvent }
  /** How safe the local database is (sent once on attach): persistent, best_effort or memory. */
  | { type: 'storage'; durability: StorageDurability }
  /**
   * An own media message's files are uploading: `loaded` of `total` bytes across all its files.
   * Sent when an upload starts, as it progresses (throttled), and once with `done` when all are up.
   */
  | { type: 'upload'; messageId: string; conversationId: string; loaded: number; total: number; done: boolean }
  /**
   * The server lost history this device had stored (a power loss or a restore on its side) and the
   * device rolled back to what it holds: `requeued` own messages it lost are being sent again,
   * `dropped` messages of others it lost are gone. The stream resumes after `cursor`.
   */
  | { type: 'resync'; reason: 'server_rollback'; cursor: number; requeued: number; dropped: number }
  /** The server reported a problem not tied to a request, or sent something invalid (seed: receiveError). */
  | { type: 'receive_error'; code: ErrorCode; message: string };

export type EngineEventType = EngineEvent['type'];
export type EngineEventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;
