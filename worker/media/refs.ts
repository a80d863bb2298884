/**
 * Local refs: how a pending message's content points at a file that is stored here but not yet
 * uploaded. `local:<uploadId>` never reaches the server: the send path swaps every ref for the
 * server's URL first, and refuses to send content that still holds one.
 */
import type { Content } from '../../schema';

export const LOCAL_REF_PREFIX = 'local:';
const REF = /^local:([0-9a-f-]{36})$/i;

export const localRef = (uploadId: string): string => `${LOCAL_REF_PREFIX}${uploadId}`;

/** The upload id of a local ref, or null. */
export function uploadIdOf(ref: unknown): string | null {
  return typeof ref === 'string' ? (REF.exec(ref)?.[1]?.toLowerCase() ?? null) : null;
}

/** The URL-bearing fields of media content. */
const MEDIA_FIELDS = ['url', 'thumbUrl'] as const;

/** True if any media field of the content is still a local ref. */
export function hasLocalRefs(content: Content): boolean {
  return MEDIA_FIELDS.some((f) => uploadIdOf((content as Record<string, unknown>)[f]) !== null);
}

/** The content with each local ref replaced by `urls[uploadId]`; throws if one is missing. */
export function resolveRefs(content: Content, urls: ReadonlyMap<string, string>): Content {
  const out: Record<string, unknown> = { ...content };
  for (const f of MEDIA_FIELDS) {
    const id = uploadIdOf(out[f]);
    if (id === null) continue;
    const url = urls.get(id);
    if (!url) throw new Error(`no uploaded URL for ${out[f] as string}`);
    out[f] = url;
  }
  return out as Content;
}

/** A stand-in URL with the shape of a real one, to validate content before its files are uploaded. */
export function withPlaceholderUrls(content: Content): Content {
  const out: Record<string, unknown> = { ...content };
  for (const f of MEDIA_FIELDS) if (uploadIdOf(out[f]) !== null) out[f] = `/media/${uploadIdOf(out[f])}`;
  return out as Content;
}
