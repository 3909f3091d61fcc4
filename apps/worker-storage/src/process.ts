import sharp from 'sharp';
import { readJpeg } from './jpeg';
import type { ImageType } from './sniff';

export interface ProcessedImage {
  /**
   * The image with no metadata (EXIF, GPS, XMP, comments), upright, in its own format: in parts to
   * write one after another (slices of the upload when it was stripped losslessly).
   */
  readonly imageParts: readonly Buffer[];
  /** The same joined into one buffer (a copy: made on first use). */
  readonly image: Buffer;
  readonly thumb: Buffer;
  readonly width: number;
  readonly height: number;
}

function withParts(parts: readonly Buffer[], thumb: Buffer, width: number, height: number): ProcessedImage {
  let joined: Buffer | undefined;
  return {
    imageParts: parts,
    get image() {
      return (joined ??= parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    },
    thumb,
    width,
    height,
  };
}

/** Thrown when the bytes look like an image but do not decode. */
export class UndecodableImageError extends Error {}

// Several jobs run at once; libvips threads per job would oversubscribe small nodes.
sharp.concurrency(1);

/**
 * Removes every metadata block and makes a JPEG thumbnail (encoding it is twice as fast as WebP,
 * and every browser shows it). An upright JPEG (the usual case) is
 * stripped losslessly, segment by segment; a JPEG that relies on its EXIF orientation, and PNG
 * or WebP, are re-encoded upright (sharp writes no metadata unless asked).
 */
export async function processImage(
  input: Buffer,
  type: ImageType,
  thumbSize: number,
): Promise<ProcessedImage> {
  try {
    const jpeg = type === 'image/jpeg' ? readJpeg(input) : undefined;
    // A pipeline per output rather than clone(): sharp's clone() structured-clones its options,
    // the input buffer included (a copy of the whole upload each time).
    const open = () => sharp(input, { failOn: 'error', limitInputPixels: 50_000_000 }).rotate();
    const thumb = open()
      .resize(thumbSize, thumbSize, { fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
      .jpeg({ quality: 75 })
      .toBuffer();
    if (jpeg && jpeg.orientation === 1) {
      // The thumbnail decode doubles as the check that the image data is readable.
      return withParts(jpeg.segments, await thumb, jpeg.width, jpeg.height);
    }
    const encoded =
      type === 'image/png'
        ? open().png({ compressionLevel: 6 })
        : type === 'image/webp'
          ? open().webp({ quality: 85 })
          : open().jpeg({ quality: 90 });
    const [out, t] = await Promise.all([encoded.toBuffer({ resolveWithObject: true }), thumb]);
    return withParts([out.data], t, out.info.width, out.info.height);
  } catch (err) {
    throw new UndecodableImageError((err as Error).message);
  }
}
