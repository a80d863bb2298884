/**
 * The calls the SqliteStore facade hands its parts at construction. A part writes and appends through
 * these, so none of them holds the facade, the group commit or another part.
 */
import type { PushEvent } from '../../../schema';
import type { EventOrigin } from '../Store';

/** A write in the next group commit; the events it appended are dropped if it throws. */
export type Write = <T>(work: () => T) => Promise<T>;

/**
 * Append to the push stream, inside a write; the event reaches the fan-out once its group commits.
 * `origin`: the device whose send appended it (that device is not pushed it back).
 */
export type AppendEvent = (conversationId: string, event: PushEvent, origin?: EventOrigin) => void;
