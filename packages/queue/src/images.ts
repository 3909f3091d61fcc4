import { S3Client } from '@aws-sdk/client-s3';
import type { ServiceConfig } from '@hybrid/service-kit';
import { ObjectStore } from './objects';

/** An S3 client for the images bucket, from the workload's images env (path-style requests). */
export function createS3(config: ServiceConfig): S3Client {
  const id = config.string('S3_ACCESS_KEY_ID');
  const secret = config.string('S3_SECRET_ACCESS_KEY');
  return new S3Client({
    endpoint: config.string('S3_ENDPOINT'),
    region: config.string('S3_REGION'),
    forcePathStyle: true,
    maxAttempts: 2,
    // No flexible checksums: a presigned PUT must not carry the checksum of an empty body.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret } } : {}),
  });
}

/**
 * The lean client for one-object calls on the images bucket (see `objects.ts`), with the
 * credentials of `s3` (the SDK's provider chain: static keys from the env, or the instance role).
 */
export function createObjectStore(config: ServiceConfig, s3: S3Client): ObjectStore {
  return new ObjectStore({
    endpoint: config.string('S3_ENDPOINT'),
    region: config.string('S3_REGION'),
    bucket: config.string('IMAGES_BUCKET'),
    credentials: () => s3.config.credentials(),
  });
}

/** The prefix under which every object of one user lives (what account deletion removes). */
export const userImagesPrefix = (userId: string): string => `scans/${encodeURIComponent(userId)}/`;

/** Object keys of one scan: the raw upload, the cleaned image and the thumbnail. */
export const imageKeys = (userId: string, scanId: string) => {
  const base = `${userImagesPrefix(userId)}${scanId}`;
  return { upload: `${base}/upload`, image: `${base}/image`, thumb: `${base}/thumb.webp` };
};
