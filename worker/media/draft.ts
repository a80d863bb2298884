/**
 * A tab's media draft → the content to store (with local refs) and the files to store with it.
 * Everything a server would refuse for shape or size is refused here, before anything is stored.
 */
import { ErrorCode, ParleyError, type Content } from '../../schema';
import { localRef } from './refs';
import { MAX_UPLOAD_BYTES, UploadKind, type MediaDraft, type MediaFile } from './types';

/** Types the reference server accepts per kind (server/media/sniff.ts checks the bytes too). */
const ACCEPTED: Record<UploadKind, readonly string[]> = {
  image: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'],
  thumb: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'],
  voice: ['audio/webm', 'audio/ogg', 'audio/mp4', 'audio/mpeg'],
};

export interface NewUpload {
  uploadId: string;
  kind: UploadKind;
  mime: string;
  bytes: Uint8Array;
}

export interface PreparedDraft {
  content: Content;
  uploads: NewUpload[];
}

function file(kind: UploadKind, f: MediaFile | undefined, newId: () => string): NewUpload {
  if (!f || !(f.bytes instanceof ArrayBuffer || f.bytes instanceof Uint8Array)) {
    throw new ParleyError(ErrorCode.INVALID_PARAMS, `the ${kind} file is missing`);
  }
  const bytes = f.bytes instanceof Uint8Array ? f.bytes : new Uint8Array(f.bytes);
  // 'audio/webm;codecs=opus' → 'audio/webm': the parameters are the encoder's business.
  const mime = String(f.mime ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED[kind].includes(mime)) {
    throw new ParleyError(ErrorCode.INVALID_PARAMS, `a ${kind} must be one of ${ACCEPTED[kind].join(', ')}; got '${mime}'`);
  }
  if (bytes.byteLength === 0) throw new ParleyError(ErrorCode.INVALID_PARAMS, `the ${kind} file is empty`);
  if (bytes.byteLength > MAX_UPLOAD_BYTES[kind]) {
    throw new ParleyError(ErrorCode.PAYLOAD_TOO_LARGE, `the ${kind} is ${bytes.byteLength} bytes; the limit is ${MAX_UPLOAD_BYTES[kind]}`);
  }
  return { uploadId: newId(), kind, mime, bytes };
}

export function prepareDraft(draft: MediaDraft, newId: () => string): PreparedDraft {
  if (draft?.kind === 'image') {
    const image = file(UploadKind.IMAGE, draft.image, newId);
    const thumb = file(UploadKind.THUMB, draft.thumb, newId);
    const content: Content = {
      type: 'image',
      url: localRef(image.uploadId),
      thumbUrl: localRef(thumb.uploadId),
      width: draft.width,
      height: draft.height,
      bytes: image.bytes.byteLength,
      mime: image.mime,
    };
    return { content, uploads: [image, thumb] };
  }
  if (draft?.kind === 'voice') {
    const audio = file(UploadKind.VOICE, draft.audio, newId);
    const content: Content = {
      type: 'voice',
      url: localRef(audio.uploadId),
      durationMs: draft.durationMs,
      bytes: audio.bytes.byteLength,
      mime: audio.mime,
    };
    return { content, uploads: [audio] };
  }
  throw new ParleyError(ErrorCode.INVALID_PARAMS, "a media draft's kind must be 'image' or 'voice'");
}
