/**
 * File type by magic bytes. The declared Content-Type is never trusted: a browser would happily
 * render an "image/png" that is really HTML, so only the formats below are accepted, recognised
 * from their first bytes, and anything else (SVG, HTML, scripts, unknown) is refused.
 */

export const MediaKind = { IMAGE: 'image', VOICE: 'voice', THUMB: 'thumb' } as const;
export type MediaKind = (typeof MediaKind)[keyof typeof MediaKind];

/** How many leading bytes `sniff` looks at (fewer when the file is shorter). */
export const SNIFF_BYTES = 1024;

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
const VOICE_TYPES = ['audio/webm', 'audio/ogg', 'audio/mp4', 'audio/mpeg'] as const;
export type MediaMime = (typeof IMAGE_TYPES)[number] | (typeof VOICE_TYPES)[number];

/** The types a kind of upload may be. */
export function allowedTypes(kind: MediaKind): readonly MediaMime[] {
  return kind === MediaKind.VOICE ? VOICE_TYPES : IMAGE_TYPES;
}

const ascii = (b: Uint8Array, at: number, s: string): boolean =>
  b.length >= at + s.length && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
const bytes = (b: Uint8Array, at: number, sig: readonly number[]): boolean =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);

/** ISO BMFF brands of audio-capable MP4/M4A files (HEIC/AVIF/QuickTime brands are not here). */
const MP4_BRANDS = new Set(['M4A ', 'M4B ', 'mp41', 'mp42', 'isom', 'iso2', 'iso4', 'iso5', 'iso6', 'dash', '3gp4', '3gp5', '3gp6']);

function isMpegAudioFrame(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0xff || (b[1]! & 0xe0) !== 0xe0) return false;
  const version = (b[1]! >> 3) & 3;
  const layer = (b[1]! >> 1) & 3;
  const bitrate = b[2]! >> 4;
  const rate = (b[2]! >> 2) & 3;
  // Reserved values; layer 0 also excludes ADTS AAC, which is not MPEG audio.
  return version !== 1 && layer !== 0 && bitrate !== 0 && bitrate !== 15 && rate !== 3;
}

/** Markers a browser's own sniffing (or a misconfigured proxy) could take for a document. */
const MARKUP = /<(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml)/i;

/** The file's type from its first bytes (pass up to SNIFF_BYTES), or null when it is not one Parley accepts. */
export function sniff(head: Uint8Array): MediaMime | null {
  const type = sniffMagic(head);
  // Polyglots: a valid signature followed by markup in the first KiB is refused outright.
  if (type && MARKUP.test(Buffer.from(head.subarray(0, SNIFF_BYTES)).toString('latin1'))) return null;
  return type;
}

function sniffMagic(b: Uint8Array): MediaMime | null {
  if (bytes(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) && ascii(b, 12, 'IHDR')) return 'image/png';
  if (bytes(b, 0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
  // EBML header whose DocType is "webm" (0x42 0x82, size, "webm"); plain Matroska is refused.
  if (bytes(b, 0, [0x1a, 0x45, 0xdf, 0xa3]) && /\x42\x82[\x84\x88]webm/.test(Buffer.from(b.subarray(0, 64)).toString('latin1'))) {
    return 'audio/webm';
  }
  // Ogg whose first page carries an Opus identification header.
  if (ascii(b, 0, 'OggS') && ascii(b, 28, 'OpusHead')) return 'audio/ogg';
  if (ascii(b, 4, 'ftyp') && MP4_BRANDS.has(Buffer.from(b.subarray(8, 12)).toString('latin1'))) return 'audio/mp4';
  if (ascii(b, 0, 'ID3') || isMpegAudioFrame(b)) return 'audio/mpeg';
  return null;
}
