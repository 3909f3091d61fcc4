import sharp from 'sharp';
import type { ImageType } from './sniff';

export interface ProcessedImage {
  /** The image re-encoded in its own format, upright, with no metadata (EXIF, GPS, XMP, ICC comments). */
  readonly image: Buffer;
  readonly thumb: Buffer;
  readonly width: number;
  readonly height: number;
}

/** Thrown when the bytes look like an image but do not decode. */
export class UndecodableImageError extends Error {}

// Several jobs run at once; libvips threads per job would oversubscribe small nodes.
sharp.concurrency(1);

/**
 * Strips every metadata block by re-encoding (sharp writes none unless asked), after applying the
 * EXIF orientation so the photo stays upright; makes a WebP thumbnail.
 */
export async function processImage(
  input: Buffer,
  type: ImageType,
  thumbSize: number,
): Promise<ProcessedImage> {
  try {
    const base = sharp(input, { failOn: 'error', limitInputPixels: 50_000_000 }).rotate();
    const encoded =
      type === 'image/png'
        ? base.clone().png({ compressionLevel: 6 })
        : type === 'image/webp'
          ? base.clone().webp({ quality: 85 })
          : base.clone().jpeg({ quality: 85, mozjpeg: false });
    const [out, thumb] = await Promise.all([
      encoded.toBuffer({ resolveWithObject: true }),
      base
        .clone()
        .resize(thumbSize, thumbSize, { fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
        .webp({ quality: 70 })
        .toBuffer(),
    ]);
    return { image: out.data, thumb, width: out.info.width, height: out.info.height };
  } catch (err) {
    throw new UndecodableImageError((err as Error).message);
  }
}
