/**
 * Media messages as the engine takes them from a tab: the files' bytes plus what the message says
 * about them. The engine stores the bytes with the message, uploads them when online, and only
 * then sends the message, with the server's URLs in place of the local refs.
 */

/** The server's kinds of upload (its size limit and allowed types depend on the kind). */
export const UploadKind = { IMAGE: 'image', THUMB: 'thumb', VOICE: 'voice' } as const;
export type UploadKind = (typeof UploadKind)[keyof typeof UploadKind];

export type { MediaDraft, MediaFile } from '../protocol';

/** One file of a message, stored until uploaded. */
export interface PendingUpload {
  uploadId: string;
  messageId: string;
  kind: UploadKind;
  mime: string;
  size: number;
  /** The server's path once uploaded. */
  url: string | null;
}

export type { LocalFile } from '../protocol';

/**
 * Per-kind size caps enforced before anything is stored: at or below the reference server's
 * defaults (server/config.ts), so a stored message is one the server will take.
 */
export const MAX_UPLOAD_BYTES: Record<UploadKind, number> = {
  image: 8 * 1024 * 1024,
  thumb: 512 * 1024,
  voice: 5 * 1024 * 1024,
};
