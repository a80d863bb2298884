/**
 * What a storefront tab imports.
 *
 * @module parley/client
 */
export { connect, PARLEY_VERSION, type ConnectOptions, type EncryptionOptions } from './connect';
export { ParleyClient, type ClientRequestOptions } from './ParleyClient';
export { forgetSnapshots, readSnapshot, type ConversationSnapshot, type SnapshotQuery } from './snapshot/readSnapshot';
export type { ConnectionError, ConnectionState, ConnectionStatus } from '../worker/protocol';
export type { EngineEvent, EngineEventOf, EngineEventType } from '../worker/protocol';
export type { LocalConversation, LocalMessage, MessageState } from '../worker/protocol';
export type { StorageDurability } from '../worker/protocol';
export type { StoreDiagnostics } from '../worker/protocol';
export type { ConversationPresence, DeskView, SignalsSnapshot, TabView, TypingParty } from '../worker/protocol';
export type * from '../schema/desk';
export type { NotificationOptions } from './notifications/TabNotifications';
// The errors a tab meets; the wire's decoding helper (errorFromWire) is the engine's business.
export { CloseCode, ErrorCode, isRetryable, KickReason, ParleyError, RebuildReason, type ErrorDetails } from '../schema/errors';
export type * from '../schema/entities';
export type * from '../schema/content';
export type { RequestType, RequestParams, RequestResult } from '../schema/requests';
