/**
 * Turns a picked picture into what an image message carries: the picture resized so its longest
 * side is at most 1600 px and a 320 px thumbnail, both JPEG. Re-encoding also drops the file's
 * metadata (EXIF: camera, GPS position), which a shopper rarely means to send a shop. Transparent
 * areas are painted white (JPEG has no alpha); an animated GIF keeps its first frame.
 *
 * Runs where a canvas can: in the client's image worker with OffscreenCanvas, or on the main thread
 * when workers or OffscreenCanvas are missing.
 */
export const IMAGE_MAX_EDGE = 1600;
export const THUMB_MAX_EDGE = 320;
const IMAGE_QUALITY = 0.82;
const THUMB_QUALITY = 0.7;
/** Bigger inputs are refused before decoding: a 40 MB file is no photo a chat needs. */
export const MAX_INPUT_BYTES = 40 * 1024 * 1024;

export interface PreparedImage {
  width: number;
  height: number;
  image: { bytes: ArrayBuffer; mime: string };
  thumb: { bytes: ArrayBuffer; mime: string };
}

/** A refusal the caller turns into INVALID_PARAMS / PAYLOAD_TOO_LARGE (plain data: it crosses a worker port). */
export class ImageInputError extends Error {
  constructor(
    readonly code: 'INVALID_PARAMS' | 'PAYLOAD_TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'ImageInputError';
  }
}

/** The size that fits `maxEdge` keeping the aspect ratio (never enlarged). */
export function fitWithin(width: number, height: number, maxEdge: number): { width: number; height: number } {
  const scale = Math.min(1, maxEdge / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

type Canvas2D = { fillStyle: unknown; fillRect(x: number, y: number, w: number, h: number): void; drawImage(...args: unknown[]): void };

/** A canvas of the given size that can encode itself: OffscreenCanvas, else a DOM canvas. */
function encodeScaled(bitmap: ImageBitmap, size: { width: number; height: number }, quality: number): Promise<Blob> {
  if (typeof OffscreenCanvas === 'function') {
    const canvas = new OffscreenCanvas(size.width, size.height);
    draw(canvas.getContext('2d') as unknown as Canvas2D, bitmap, size);
    return canvas.convertToBlob({ type: 'image/jpeg', quality });
  }
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  draw(canvas.getContext('2d') as unknown as Canvas2D, bitmap, size);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas could not encode JPEG'))), 'image/jpeg', quality),
  );
}

function draw(ctx: Canvas2D | null, bitmap: ImageBitmap, size: { width: number; height: number }): void {
  if (!ctx) throw new Error('no 2D canvas here');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size.width, size.height);
  ctx.drawImage(bitmap, 0, 0, size.width, size.height);
}

export async function prepareImage(file: Blob): Promise<PreparedImage> {
  if (!(file instanceof Blob)) throw new ImageInputError('INVALID_PARAMS', 'expected a File or Blob');
  if (file.size === 0) throw new ImageInputError('INVALID_PARAMS', 'the file is empty');
  if (file.size > MAX_INPUT_BYTES) throw new ImageInputError('PAYLOAD_TOO_LARGE', `the file is ${file.size} bytes; the limit is ${MAX_INPUT_BYTES}`);
  let bitmap: ImageBitmap;
  try {
    // from-image: a phone photo stored sideways with an EXIF rotation comes out upright.
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new ImageInputError('INVALID_PARAMS', 'the file is not an image this browser can decode');
  }
  try {
    const full = fitWithin(bitmap.width, bitmap.height, IMAGE_MAX_EDGE);
    const small = fitWithin(bitmap.width, bitmap.height, THUMB_MAX_EDGE);
    const [image, thumb] = await Promise.all([encodeScaled(bitmap, full, IMAGE_QUALITY), encodeScaled(bitmap, small, THUMB_QUALITY)]);
    return {
      width: full.width,
      height: full.height,
      image: { bytes: await image.arrayBuffer(), mime: 'image/jpeg' },
      thumb: { bytes: await thumb.arrayBuffer(), mime: 'image/jpeg' },
    };
  } finally {
    bitmap.close();
  }
}
