import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createS3, consumeAccountDeletions, userImagesPrefix, type Topology } from '@hybrid/queue';
import { withTransaction, type ServiceContext } from '@hybrid/service-kit';
import type pg from 'pg';

/**
 * Deletes every scan of a user; their status history (scan_events) goes with them (ON DELETE
 * CASCADE). In the same transaction the user is remembered in `deleted_users`, so the cleanup job
 * sweeps their prefix again for uploads made with a URL issued before the deletion.
 */
export async function deleteUserScans(db: pg.Pool, userId: string): Promise<number> {
  return withTransaction(db, async (c) => {
    const { rowCount } = await c.query('DELETE FROM scans WHERE user_id = $1', [userId]);
    await c.query(
      `INSERT INTO deleted_users (user_id) VALUES ($1)
       ON CONFLICT (user_id) DO UPDATE SET deleted_at = now()`,
      [userId],
    );
    return rowCount ?? 0;
  });
}

/**
 * Deletes every object under the user's prefix (`scans/<userId>/`: raw uploads, cleaned images,
 * thumbnails), a page of up to 1,000 keys per request. Throws when S3 does not delete one of them,
 * so the job is retried. Returns how many objects it deleted.
 */
export async function deleteUserImages(s3: S3Client, bucket: string, userId: string): Promise<number> {
  const prefix = userImagesPrefix(userId);
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: 1000,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    const objects = (page.Contents ?? []).flatMap((o) => (o.Key?.startsWith(prefix) ? [{ Key: o.Key }] : []));
    if (objects.length) {
      const res = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      if (res.Errors?.length) {
        const e = res.Errors[0]!;
        throw new Error(
          `S3 did not delete ${res.Errors.length} of the user's objects (first: ${e.Code ?? 'error'} ${e.Message ?? ''})`,
        );
      }
      deleted += objects.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

/**
 * Consumes `q.account.scan`: when an account is deleted, its scans and their events are deleted
 * (committed first, so no pipeline step can write a new image for them afterwards), then every
 * object under its S3 prefix. Acked only after both; an S3 failure retries the whole job, which is
 * idempotent (no rows and no objects left means nothing to do).
 */
export async function startAccountDeletion(ctx: ServiceContext, topology: Topology): Promise<void> {
  const s3 = createS3(ctx.config);
  ctx.onShutdown(() => s3.destroy());
  const bucket = ctx.config.string('IMAGES_BUCKET');
  await consumeAccountDeletions(ctx, topology, {
    queue: 'q.account.scan',
    what: 'scans and images',
    forget: async (e, delivery) => ({
      attempt: delivery.attempt,
      scans: await deleteUserScans(ctx.pg!, e.userId),
      objects: await deleteUserImages(s3, bucket, e.userId),
    }),
  });
}
